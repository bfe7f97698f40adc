// pnpm bench: (1) the step time of every method against plain summed loss (`static` with
// weights 1) on one small model, T = 2 and T = 8, as ratios measured in this one run;
// gradient methods also in representation mode. (2) The peak tensor memory of one
// `backward` on ~1M shared parameters, T = 2 and T = 8: plain sum, the Gramian path
// (UPGrad), the Jacobian path (MoCo, with its T x P state) and representation mode.
// Backend: argv[2] (default wasm, the CPU default), through @mtl/backend.
import { initBackend } from '@mtl/backend';
import * as tf from '@tensorflow/tfjs-core';
import { backward, createStrategy, strategyNames, trainStep, type WeightingStrategy } from '../src/index.js';
import { SeededRandom } from '../src/random.js';

const WARMUP = 5;
const TIMED = 20;
const STEPS_PER_ROUND = 3;

interface Model {
  variables: tf.Variable[];
  shared: Record<string, tf.Variable>;
  encode: () => tf.Tensor;
  decode: (z: tf.Tensor) => tf.Scalar[];
  losses: () => tf.Scalar[];
  dispose(): void;
}

/** Inputs [batch, inputs] -> tanh dense (shared, `hidden` units) -> one linear regression head per task. */
function makeModel(tasks: number, batch: number, inputs: number, hidden: number, seed: number): Model {
  const x = tf.randomNormal([batch, inputs], 0, 1, 'float32', seed);
  const targets = tf.randomNormal([batch, tasks], 0, 1, 'float32', seed + 1);
  const kernel = tf.variable(tf.randomNormal([inputs, hidden], 0, 1 / Math.sqrt(inputs), 'float32', seed + 2));
  const bias = tf.variable(tf.zeros([hidden]));
  const heads = Array.from({ length: tasks }, (_, i) =>
    tf.variable(tf.randomNormal([hidden, 1], 0, 1 / Math.sqrt(hidden), 'float32', seed + 3 + i)),
  );
  const columns = tf.split(targets, tasks, 1);
  const encode = () => tf.tanh(tf.add(tf.matMul(x, kernel), bias));
  const decode = (z: tf.Tensor) =>
    heads.map((head, i) => tf.losses.meanSquaredError(columns[i]!, tf.matMul(z as tf.Tensor2D, head)) as tf.Scalar);
  return {
    variables: [kernel, bias, ...heads],
    shared: { kernel, bias },
    encode,
    decode,
    losses: () => decode(encode()),
    dispose: () => tf.dispose([x, targets, kernel, bias, ...heads, ...columns]),
  };
}

const taskNames = (n: number) => Array.from({ length: n }, (_, i) => `task${i}`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

interface Setup {
  method: string;
  tasks: 2 | 8;
  representation: boolean;
  step: () => void;
  times: number[];
  dispose: () => void;
}

function setup(method: string, tasks: 2 | 8, representation: boolean): Setup {
  const model = makeModel(tasks, 32, 64, 128, 7);
  const strategy = createStrategy(method, {
    tasks: taskNames(tasks),
    ...(method === 'static' ? { weights: new Array(tasks).fill(1) } : {}),
  });
  const optimizer = tf.train.sgd(0.01);
  const options = {
    strategy,
    optimizer,
    computeLosses: model.losses,
    variables: model.variables,
    shared: model.shared,
    lastSharedLayer: model.shared,
    ...(representation ? { representation: { encode: model.encode, decode: model.decode } } : {}),
  };
  let steps = 0;
  return {
    method,
    tasks,
    representation,
    times: [],
    step() {
      trainStep(options);
      steps += 1;
      if (steps % 10 === 0) strategy.endEpoch(new Array(tasks).fill(1));
    },
    dispose() {
      for (const d of [strategy, optimizer]) d.dispose();
      model.dispose();
    },
  };
}

async function peakBytes(strategy: WeightingStrategy, model: Model, representation: boolean): Promise<number> {
  const before = tf.memory().numBytes;
  const info = await tf.profile(() => {
    const result = backward({
      strategy,
      computeLosses: model.losses,
      variables: model.variables,
      shared: model.shared,
      ...(representation ? { representation: { encode: model.encode, decode: model.decode } } : {}),
    });
    tf.dispose(Object.values(result.grads));
    result.afterUpdate();
  });
  return info.peakBytes - before;
}

const backend = await initBackend({ backend: (process.argv[2] ?? 'wasm') as 'wasm' | 'cpu' });
console.log(
  `backend: ${backend.name}; ${TIMED} rounds, setups in a fresh random order each round, each timed over ${STEPS_PER_ROUND} steps right after plain summed loss over as many (after ${WARMUP} warm-up steps); model 64 -> 128 tanh (shared) -> T linear heads, batch 32`,
);

// Every setup (method x T x mode) lives side by side; each round times every setup in a
// new random order, so a load change on the machine or a position in the round (garbage
// collection) hits all of them alike.
const setups: Setup[] = [];
for (const method of strategyNames()) {
  const probe = createStrategy(method, { tasks: taskNames(2) });
  const canRepresent = probe.needs.taskGradients === 'shared' && probe.needs.representation !== false;
  probe.dispose();
  for (const tasks of [2, 8] as const) {
    setups.push(setup(method, tasks, false));
    if (canRepresent) setups.push(setup(method, tasks, true));
  }
}
for (const s of setups) for (let i = 0; i < WARMUP; i++) s.step();
const order = new SeededRandom(1);
const baselineOf = (tasks: 2 | 8) =>
  setups.find((s) => s.method === 'static' && s.tasks === tasks && !s.representation) as Setup;
const timeSteps = (s: Setup) => {
  const start = performance.now();
  for (let i = 0; i < STEPS_PER_ROUND; i++) s.step();
  return (performance.now() - start) / STEPS_PER_ROUND;
};
/** Per setup, each round's time over plain summed loss timed right before it: drifts in load cancel. */
const ratios = new Map<Setup, number[]>(setups.map((s) => [s, []]));
for (let round = 0; round < TIMED; round++) {
  for (const s of order.shuffled(setups)) {
    const baseline = timeSteps(baselineOf(s.tasks));
    const time = timeSteps(s);
    s.times.push(time);
    ratios.get(s)?.push(time / baseline);
  }
}
const ratio = (method: string, tasks: 2 | 8, representation: boolean) => {
  const found = setups.find((s) => s.method === method && s.tasks === tasks && s.representation === representation);
  return found ? median(ratios.get(found) as number[]) : undefined;
};
const base = { 2: median(baselineOf(2).times), 8: median(baselineOf(8).times) };
console.log(
  `plain summed loss (static, weights 1): T=2 ${base[2].toFixed(2)} ms, T=8 ${base[8].toFixed(2)} ms per step`,
);
console.log(
  '\nstep time / plain summed loss (median of per-round ratios, same run):\n| method | T=2 | T=8 | T=2 rep | T=8 rep |\n| --- | --- | --- | --- | --- |',
);
for (const method of strategyNames()) {
  const cell = (tasks: 2 | 8, representation: boolean) => {
    const value = ratio(method, tasks, representation);
    return value === undefined ? '-' : value.toFixed(2);
  };
  console.log(`| \`${method}\` | ${cell(2, false)} | ${cell(8, false)} | ${cell(2, true)} | ${cell(8, true)} |`);
}
for (const s of setups) s.dispose();

// Memory: 1000 -> 1000 shared dense layer (1,001,000 parameters), batch 8.
console.log(
  '\npeak tensor memory of one backward() above what existed before, MB (1,001,000 shared parameters, float32):',
);
console.log(
  '| T | plain sum | Gramian path (upgrad) | Jacobian path (moco) | representation mode (upgrad) | T x P floor |',
);
console.log('| --- | --- | --- | --- | --- | --- |');
for (const tasks of [2, 8]) {
  const model = makeModel(tasks, 8, 1000, 1000, 11);
  const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  const measure = async (name: string, representation: boolean) => {
    const strategy = createStrategy(name, {
      tasks: taskNames(tasks),
      ...(name === 'static' ? { weights: new Array(tasks).fill(1) } : {}),
    });
    await peakBytes(strategy, model, representation); // the first call creates state (MoCo's Y)
    const bytes = await peakBytes(strategy, model, representation);
    strategy.dispose();
    return mb(bytes);
  };
  const cells = [
    await measure('static', false),
    await measure('upgrad', false),
    await measure('moco', false),
    await measure('upgrad', true),
  ];
  console.log(`| ${tasks} | ${cells.join(' | ')} | ${mb(tasks * 1_001_000 * 4)} |`);
  model.dispose();
}
