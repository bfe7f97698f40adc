import { join } from 'node:path';
import { expect } from 'vitest';
import { runCli } from './cli.js';

/**
 * A small synthetic corpus, prepared: 6 speakers (the fewest whose speaker folds leave one
 * training speaker of each gender) x 4 clips of about 1 s.
 */
export async function preparedCorpus(dir: string, seed = 1): Promise<string> {
  const corpus = join(dir, `corpus-${seed}`);
  const synth = await runCli([
    'synth',
    '--out',
    corpus,
    '--speakers',
    '6',
    '--clips-per-speaker',
    '4',
    '--duration',
    '1',
    '--seed',
    String(seed),
  ]);
  expect(synth.code, synth.stderr).toBe(0);
  const data = join(dir, `prepared-${seed}`);
  const prepare = await runCli(['prepare', '--root', corpus, '--out', data, '--workers', '1']);
  expect(prepare.code, prepare.stderr).toBe(0);
  return data;
}
