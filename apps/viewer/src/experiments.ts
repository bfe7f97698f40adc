import { readdir, readFile } from 'node:fs/promises';
import { resolveInside } from './safe-path.js';

/** One experiment's results.json (format mtl-experiment/1), or why it could not be read. */
export type ExperimentListing = { name: string; results: unknown } | { name: string; problem: string };

/** Every `<dir>/<name>/results.json`; a missing folder is no experiments, a bad file a problem. */
export async function readExperiments(dir: string): Promise<ExperimentListing[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const listings = await Promise.all(
    names.sort().map(async (name): Promise<ExperimentListing | undefined> => {
      const path = await resolveInside(dir, name, 'results.json');
      if (!path) return undefined;
      try {
        const results = JSON.parse(await readFile(path, 'utf8')) as { format?: unknown };
        if (results?.format !== 'mtl-experiment/1') {
          return {
            name,
            problem: `${path}: format must be "mtl-experiment/1", got ${JSON.stringify(results?.format)}`,
          };
        }
        return { name, results };
      } catch {
        return { name, problem: `${path}: not valid JSON` };
      }
    }),
  );
  return listings.filter((l) => l !== undefined);
}
