import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFixture } from './fixture-runs.js';
import { tempDir } from './helpers.js';

const temp = tempDir('no-tfjs');
let fixture: Awaited<ReturnType<typeof writeFixture>>;
beforeAll(async () => {
  fixture = await writeFixture(temp.dir);
});
afterAll(() => temp.remove());

/** Runs use-viewer.ts in a fresh Node whose module loader refuses anything from @tensorflow. */
function useViewer(alsoImport?: string) {
  const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));
  const args = ['--conditions=@mtl/source', '--import', 'tsx', '--import', here('./no-tfjs/register.mjs')];
  const script = [
    here('./no-tfjs/use-viewer.ts'),
    fixture.runsDir,
    fixture.clips[0]!.id,
    ...(alsoImport ? [alsoImport] : []),
  ];
  return promisify(execFile)(process.execPath, [...args, ...script], { cwd: here('..') });
}

describe('the viewer never loads tfjs', () => {
  it('serves runs, metrics, predictions and clips without a tensor library', async () => {
    const { stdout } = await useViewer();
    expect(stdout).toContain('viewer ok');
  });

  it('(the guard works: importing @mtl/media, which uses tfjs, fails)', async () => {
    await expect(useViewer('@mtl/media')).rejects.toThrow(/tfjs loaded: .*@tensorflow/);
  });
});
