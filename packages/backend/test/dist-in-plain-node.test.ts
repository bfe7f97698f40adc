import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The built package, loaded by plain Node (no bundler, no Vitest) as ESM and as CommonJS.
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(packageDir, 'dist');

const probe = (load: string) => `
${load}
const before = tf.getKernelsForBackend('wasm').length;
const choice = await backend.initBackend({ backend: 'wasm' });
const x = tf.randomNormal([2, 9, 9, 3]);
const w = tf.randomNormal([3, 3, 3, 4]);
const [dx, dw] = tf.grads((x, w) => tf.sum(tf.maxPool(tf.conv2d(x, w, 2, 'same'), 2, 2, 'same')))([x, w]);
const coreCopies = Object.keys(require.cache).filter((k) => /tfjs-core[\\\\/]dist[\\\\/]tf-core/.test(k));
console.log(JSON.stringify({
  backend: choice.name,
  gradShapes: [dx.shape, dw.shape],
  reRegistered: backend.registerAllGradients(),
  chained: typeof x.square,
  coreCopies: coreCopies.length,
  hasConv2DGrad: tf.getGradient('Conv2D') !== undefined,
}));
`;

describe('dist in plain Node', () => {
  if (!existsSync(join(dist, 'index.cjs')))
    throw new Error(`${dist} is missing: run \`pnpm build\` first (turbo's test task does)`);
  const dir = mkdtempSync(join(tmpdir(), 'mtl-backend-'));
  const run = (file: string, source: string) => {
    writeFileSync(join(dir, file), source);
    // The timeout turns a process that never exits (held open by wasm threads, say) into a failure.
    const out = execFileSync(process.execPath, [join(dir, file)], {
      cwd: packageDir,
      encoding: 'utf8',
      timeout: 60_000,
    });
    return JSON.parse(out.trim().split('\n').pop()!);
  };
  const expected = {
    backend: 'wasm',
    gradShapes: [
      [2, 9, 9, 3],
      [3, 3, 3, 4],
    ],
    reRegistered: 0,
    chained: 'function',
    coreCopies: 1,
    hasConv2DGrad: true,
  };

  it('ES module import registers gradients once and trains on wasm', () => {
    const load = `import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(join(packageDir, 'package.json'))});
const tf = require('@tensorflow/tfjs-core');
const backend = await import(${JSON.stringify(join(dist, 'index.js'))});`;
    expect(run('probe.mjs', probe(load))).toEqual(expected);
  });

  it('with 2 wasm threads, computes and then lets the process exit by itself', () => {
    const source = `const backend = await import(${JSON.stringify(join(dist, 'index.js'))});
const tf = (await import('node:module')).createRequire(${JSON.stringify(join(packageDir, 'package.json'))})('@tensorflow/tfjs-core');
const choice = await backend.initBackend({ backend: 'wasm', threads: 2 });
const sum = tf.sum(tf.matMul(tf.ones([64, 32]), tf.ones([32, 16]))).dataSync()[0];
console.log(JSON.stringify({ threads: choice.threads, sum }));`;
    expect(run('threads.mjs', source)).toEqual({ threads: 2, sum: 64 * 16 * 32 });
  });

  it('CommonJS require registers gradients once and trains on wasm', () => {
    const load = `const tf = require('node:module').createRequire(${JSON.stringify(join(packageDir, 'package.json'))})('@tensorflow/tfjs-core');
const backend = require(${JSON.stringify(join(dist, 'index.cjs'))});`;
    expect(run('probe.cjs', `(async () => {${probe(load)}})();`)).toEqual(expected);
  });
});
