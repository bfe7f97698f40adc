// Starts the viewer over argv[2] and asks it for everything, including a clip's audio and frames.
import { startViewer } from '../../src/index.js';

const viewer = await startViewer({ runs: process.argv[2]!, port: 0 });
await viewer.ready;
for (const path of [
  'api/runs',
  'api/runs/dynamic-s1/metrics',
  'api/runs/dynamic-s1/confusion',
  'api/runs/dynamic-s1/predictions',
  `api/runs/dynamic-s1/clips/${process.argv[3]}/audio.wav`,
  `api/runs/dynamic-s1/clips/${process.argv[3]}/frames.jpg`,
  'api/experiments',
]) {
  const response = await fetch(new URL(path, viewer.url));
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
}
await viewer.close();
console.log('viewer ok');
if (process.argv[4]) await import(process.argv[4]);
