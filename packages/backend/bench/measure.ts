// One backend in one process (wasm threads are fixed at start-up): prints a JSON line
// per case with median forward and forward+backward milliseconds.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/index.js';
import { benchCases } from './cases.js';

const [backend = 'wasm', threadsArg = '1', filter = ''] = process.argv.slice(2);
const threads = Number(threadsArg);
await initBackend({ backend: backend as 'wasm' | 'cpu', threads: backend === 'wasm' ? threads : undefined });

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/**
 * Median of `repeats` timed runs, after untimed warm-up runs when `warmUp` (the first
 * runs create XNNPACK operators and grow the wasm heap).
 */
function time(run: () => tf.Tensor[], repeats: number, warmUp: boolean): number {
  const warmUpRuns = warmUp ? 3 : 0;
  const samples: number[] = [];
  for (let i = 0; i < warmUpRuns + repeats; i++) {
    const start = performance.now();
    const outputs = run();
    for (const t of outputs) t.dataSync();
    const elapsed = performance.now() - start;
    tf.dispose(outputs);
    if (i >= warmUpRuns) samples.push(elapsed);
  }
  return median(samples);
}

for (const c of benchCases) {
  if (filter && !c.name.includes(filter)) continue;
  if (backend === 'cpu' && !c.onCpu) continue;
  const inputs = c.shapes.map((shape, i) => tf.randomNormal(shape, 0, 1, 'float32', i + 1));
  const differentiate = c.differentiate ?? inputs.map((_, i) => i);
  // The cpu backend is 10-700x slower: one run there; on wasm the median of seven.
  const [repeats, warmUp] = backend === 'cpu' ? [1, false] : [7, true];
  const forwardMs = time(() => [c.f(...inputs)], repeats, warmUp);
  const trainMs = time(
    () => {
      const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => {
        const all = inputs.map((x, i) => (differentiate.includes(i) ? xs[differentiate.indexOf(i)]! : x));
        return tf.sum(c.f(...all));
      })(differentiate.map((i) => inputs[i]!));
      return [value, ...grads];
    },
    repeats,
    warmUp,
  );
  tf.dispose(inputs);
  console.log(
    JSON.stringify({
      case: c.name,
      backend,
      threads: backend === 'wasm' ? threads : 1,
      forwardMs,
      trainMs,
      flops: c.flops,
      trainFlops: c.trainFlops,
    }),
  );
}
