// Runs a TypeScript worker entry from sources (this repo's tests and bench): registers tsx
// in the worker thread, which Node 20 does not inherit from the parent's --import.
import { workerData } from 'node:worker_threads';

const { register } = await import('tsx/esm/api');
register();
await import(workerData.entry);
