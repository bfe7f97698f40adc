// Packs @mtl/dynamic-loss as published (`pnpm pack`), installs the tarball into empty
// temporary projects from the npm registry, and runs examples there, ESM and CJS:
//   1. with only @tensorflow/tfjs-core + @tensorflow/tfjs-backend-cpu (no gradients
//      registered): every method's combine, weights, hooks and state round trip;
//   2. with only @tensorflow/tfjs (which registers the gradients): trains a tiny two-task
//      model with trainStep (softmax, GradNorm, and gradient methods) and with backward()
//      and a plain optimiser, and runs both training loops of README.md (ESM and CJS)
//      as written.
// It also checks that the tarball carries LICENSE.
// Run it with `pnpm test:pack` (it builds first). Needs the npm registry.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TFJS_VERSION = '4.22.0';
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const workDir = mkdtempSync(join(tmpdir(), 'dynamic-loss-pack-'));

function run(command, args, cwd) {
  console.log(`$ ${command} ${args.join(' ')}   (in ${cwd})`);
  execFileSync(command, args, { cwd, stdio: 'inherit' });
}

/** The checks both projects run, as source text shared by the ESM and CJS examples. */
const standaloneChecks = `
const tasks = ['emotion', 'gender'];
const close = (a, b, what) => { if (Math.abs(a - b) > 1e-5) throw new Error(what + ': ' + a + ' != ' + b); };
await tf.setBackend('cpu');
const combined = (strategy, losses) => tf.tidy(() => strategy.combine(losses.map((l) => tf.scalar(l))).dataSync()[0]);
const before = tf.memory().numTensors;

const softmax = dl.createStrategy('softmax', { tasks });
close(combined(softmax, [1.2, 0.4]), 0.8, 'softmax combine');
close(softmax.weights().gender, 0.5, 'softmax weight');
softmax.dispose();

const dwa = dl.createStrategy('dwa', { tasks });
dwa.endEpoch([2, 1]);
dwa.endEpoch({ emotion: 1, gender: 0.9 });
close(dwa.weights().emotion, 0.900335, 'dwa weight');
const resumed = dl.restoreStrategy(JSON.parse(JSON.stringify(dwa.state())));
close(resumed.weights().gender, dwa.weights().gender, 'dwa round trip');

const famo = dl.createStrategy('famo', { tasks });
close(combined(famo, [2, 0.5]), 0, 'famo combine');
close(famo.weights().gender, 0.8, 'famo weight');
famo.afterStep({ lossesAfterStep: [1.8, 0.49] });
famo.dispose();

for (const name of dl.strategyNames()) {
  const strategy = dl.createStrategy(name, { tasks });
  strategy.beforeStep();
  const value = combined(strategy, [0.7, 0.3]);
  if (!Number.isFinite(value)) throw new Error(name + ': combine gave ' + value);
  const copy = dl.restoreStrategy(JSON.parse(JSON.stringify(strategy.state())));
  if (JSON.stringify(copy.state()) !== JSON.stringify(strategy.state())) throw new Error(name + ': state round trip');
  strategy.dispose();
  copy.dispose();
}
try { dl.createStrategy('nope', { tasks }); throw new Error('no error'); } catch (e) { if (!/valid: static, softmax/.test(e.message)) throw e; }
if (tf.memory().numTensors !== before) throw new Error('leaked ' + (tf.memory().numTensors - before) + ' tensors');
console.log('standalone OK: ' + dl.strategyNames().join(', '));
`;

const trainingChecks = `
await tf.setBackend('cpu');
const tasks = ['regression', 'classification'];
const x = tf.tensor2d([[0.5, -1, 0.25], [1.5, 0.3, -0.7], [-0.2, 0.8, 1.1], [0.9, -0.4, 0.6]]);
const y = tf.tensor2d([[0.3], [-0.8], [1.2], [0.1]]);
const labels = tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2);
for (const name of ['softmax', 'gradnorm', 'upgrad', 'mgda', 'nash-mtl', 'moco']) {
  const shared = { kernel: tf.variable(tf.randomNormal([3, 8], 0, 0.5, 'float32', 1)) };
  const heads = [tf.variable(tf.randomNormal([8, 1], 0, 0.5, 'float32', 2)), tf.variable(tf.randomNormal([8, 2], 0, 0.5, 'float32', 3))];
  const computeLosses = () => {
    const hidden = tf.tanh(tf.matMul(x, shared.kernel));
    return {
      regression: tf.losses.meanSquaredError(y, tf.matMul(hidden, heads[0])),
      classification: tf.losses.softmaxCrossEntropy(labels, tf.matMul(hidden, heads[1])),
    };
  };
  const strategy = dl.createStrategy(name, { tasks });
  const optimizer = tf.train.adam(0.05);
  const variables = [shared.kernel, ...heads];
  const first = dl.trainStep({ strategy, optimizer, computeLosses, variables, shared, lastSharedLayer: shared });
  let last = first;
  for (let step = 0; step < 60; step++) last = dl.trainStep({ strategy, optimizer, computeLosses, variables, shared, lastSharedLayer: shared });
  if (!(last.loss < first.loss)) throw new Error(name + ': loss did not fall: ' + first.loss + ' -> ' + last.loss);
  console.log(name + ': joint loss ' + first.loss.toFixed(4) + ' -> ' + last.loss.toFixed(4) + ', weights ' + JSON.stringify(strategy.weights()));
}
{
  // backward(): the combined gradients for an optimiser the caller drives.
  const shared = { kernel: tf.variable(tf.randomNormal([3, 8], 0, 0.5, 'float32', 4)) };
  const head = tf.variable(tf.randomNormal([8, 1], 0, 0.5, 'float32', 5));
  const second = tf.variable(tf.randomNormal([8, 2], 0, 0.5, 'float32', 6));
  const computeLosses = () => {
    const hidden = tf.tanh(tf.matMul(x, shared.kernel));
    return [tf.losses.meanSquaredError(y, tf.matMul(hidden, head)), tf.losses.softmaxCrossEntropy(labels, tf.matMul(hidden, second))];
  };
  const strategy = dl.createStrategy('cagrad', { tasks });
  const optimizer = tf.train.momentum(0.05, 0.9);
  let first;
  let last;
  for (let step = 0; step < 40; step++) {
    const { grads, loss, afterUpdate } = dl.backward({ strategy, computeLosses, variables: [shared.kernel, head, second], shared });
    optimizer.applyGradients(grads);
    tf.dispose(Object.values(grads));
    afterUpdate();
    first ??= loss;
    last = loss;
  }
  if (!(last < first)) throw new Error('backward + momentum: loss did not fall: ' + first + ' -> ' + last);
  console.log('backward + momentum (cagrad): joint loss ' + first.toFixed(4) + ' -> ' + last.toFixed(4));
}
`;

function writeProject(name, dependencies, checks) {
  const dir = join(workDir, name);
  execFileSync('mkdir', ['-p', dir]);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, version: '0.0.0' }, null, 2));
  run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', ...dependencies], dir);
  writeFileSync(
    join(dir, 'example.mjs'),
    `import * as tf from '@tensorflow/tfjs-core';\nimport * as dl from '@mtl/dynamic-loss';\n${checks.imports}\n${checks.body}`,
  );
  writeFileSync(
    join(dir, 'example.cjs'),
    `const tf = require('@tensorflow/tfjs-core');\nconst dl = require('@mtl/dynamic-loss');\n${checks.requires}\n(async () => {\n${checks.body}\n})().catch((e) => { console.error(e); process.exit(1); });`,
  );
  run('node', ['example.mjs'], dir);
  run('node', ['example.cjs'], dir);
  return dir;
}

/** The first ```js (ESM) and ```cjs blocks of README.md: the complete training loop users copy. */
function readmeExamples() {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const esm = readme.match(/```js\n([\s\S]*?)```/);
  const cjs = readme.match(/```cjs\n([\s\S]*?)```/);
  if (!esm || !cjs) throw new Error('README.md needs a ```js and a ```cjs example');
  return { esm: esm[1], cjs: cjs[1] };
}

try {
  run('pnpm', ['pack', '--pack-destination', workDir], packageDir);
  const tarball = join(
    workDir,
    readdirSync(workDir).find((file) => file.endsWith('.tgz')),
  );
  const contents = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
  for (const required of ['package/LICENSE', 'package/README.md', 'package/dist/index.js', 'package/dist/index.cjs']) {
    if (!contents.includes(required)) throw new Error(`the tarball lacks ${required}`);
  }
  console.log(`tarball: ${contents.filter(Boolean).length} files, LICENSE included`);
  writeProject(
    'core-only',
    [tarball, `@tensorflow/tfjs-core@${TFJS_VERSION}`, `@tensorflow/tfjs-backend-cpu@${TFJS_VERSION}`],
    {
      imports: "import '@tensorflow/tfjs-backend-cpu';",
      requires: "require('@tensorflow/tfjs-backend-cpu');",
      body: standaloneChecks,
    },
  );
  const withTfjs = writeProject('with-tfjs', [tarball, `@tensorflow/tfjs@${TFJS_VERSION}`], {
    imports: "import '@tensorflow/tfjs';",
    requires: "require('@tensorflow/tfjs');",
    body: trainingChecks,
  });
  const examples = readmeExamples();
  writeFileSync(join(withTfjs, 'readme-example.mjs'), examples.esm);
  writeFileSync(join(withTfjs, 'readme-example.cjs'), examples.cjs);
  run('node', ['readme-example.mjs'], withTfjs);
  run('node', ['readme-example.cjs'], withTfjs);
  console.log('pack test passed');
} finally {
  if (!process.env.KEEP_PACK_TEST) rmSync(workDir, { recursive: true, force: true });
}
