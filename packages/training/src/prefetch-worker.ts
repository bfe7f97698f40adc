// The prefetch thread: assembles the batches the loader asks for while the training thread trains.
import { parentPort } from 'node:worker_threads';
import { type AssembleRequest, assembleBatch } from './assemble-batch.js';

parentPort!.on('message', async ({ id, request }: { id: number; request: AssembleRequest }) => {
  try {
    const batch = await assembleBatch(request);
    const transfer = [batch.audio?.buffer, batch.video?.buffer].filter((b): b is ArrayBuffer => b !== undefined);
    parentPort!.postMessage({ id, batch }, transfer);
  } catch (error) {
    parentPort!.postMessage({ id, error: (error as Error).message });
  }
});
