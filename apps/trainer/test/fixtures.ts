import { join } from 'node:path';
import { expect } from 'vitest';
import { runCli } from './cli.js';

/**
 * A small synthetic corpus, prepared: 6 speakers (the fewest whose speaker folds leave one
 * training speaker of each gender) x 4 clips of about 1 s; `audioOnly` writes no video.
 */
export async function preparedCorpus(dir: string, options: { audioOnly?: boolean } = {}): Promise<string> {
  const name = options.audioOnly ? 'audio-only' : 'audio-video';
  const corpus = join(dir, `corpus-${name}`);
  const size = ['--speakers', '6', '--clips-per-speaker', '4', '--duration', '1'];
  const synth = await runCli(['synth', '--out', corpus, ...size, ...(options.audioOnly ? ['--audio-only'] : [])]);
  expect(synth.code, synth.stderr).toBe(0);
  const data = join(dir, `prepared-${name}`);
  const prepare = await runCli([
    'prepare',
    ...['--root', corpus, '--out', data, '--workers', '1'],
    ...(options.audioOnly ? ['--modal', 'audio'] : []),
  ]);
  expect(prepare.code, prepare.stderr).toBe(0);
  return data;
}
