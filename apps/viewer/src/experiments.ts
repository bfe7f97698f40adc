import { readdir, readFile } from 'node:fs/promises';
import { type ExperimentResults, validateExperimentResults } from '@mtl/training/run-store';
import { resolveInside } from './safe-path.js';

/** One experiment's results.json (format mtl-experiment/1), or why it could not be read. */
export type ExperimentListing = { name: string; results: ExperimentResults } | { name: string; problem: string };

/** Every `<dir>/<name>/results.json`; a missing folder is no experiments, a bad file a problem. */
export async function readExperiments(dir: string): Promise<ExperimentListing[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const listings = await Promise.all(
    names.sort().map(async (name): Promise<ExperimentListing | undefined> => {
      const path = await resolveInside(dir, name, 'results.json');
      if (!path) return undefined;
      let value: unknown;
      try {
        value = JSON.parse(await readFile(path, 'utf8'));
      } catch (error) {
        return { name, problem: `${path}: is not valid JSON (${(error as Error).message})` };
      }
      try {
        return { name, results: validateExperimentResults(value, { file: path }) };
      } catch (error) {
        return { name, problem: (error as Error).message };
      }
    }),
  );
  return listings.filter((l) => l !== undefined);
}
