// Child-process entry of `preprocess`: takes one batch of clips at a time from the parent,
// writes the results to the cache, and answers with each clip's JSON or why it failed.
import { type ClipJob, runBatch } from './run-batch.js';

process.on('message', async (batch: ClipJob[]) => {
  process.send?.(await runBatch(batch));
});
process.on('disconnect', () => process.exit(0));
