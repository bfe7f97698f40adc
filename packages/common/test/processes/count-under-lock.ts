// Adds 1 to the number in a file, `times` times, each read-modify-write under the lock.
import { readFile, writeFile } from 'node:fs/promises';
import { withFileLock } from '../../src/index.js';

const [file, lock, times] = process.argv.slice(2) as [string, string, string];
for (let i = 0; i < Number(times); i++) {
  await withFileLock(lock, async () => {
    const value = Number(await readFile(file, 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, 1)); // widen the race window
    await writeFile(file, String(value + 1));
  });
}
