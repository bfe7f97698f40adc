import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@mtl/backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHECKPOINT_FORMAT,
  createModel,
  loadCheckpoint,
  type MultitaskModel,
  modelFromArtifacts,
  readCheckpoint,
  restoreWeights,
  saveCheckpoint,
} from '../src/index.js';
import { makeInputs, TASKS, testConfig } from './helpers.js';

function outputs(model: MultitaskModel, inputs: ReturnType<typeof makeInputs>): number[] {
  return tf.tidy(() => {
    const logits = model.forward(inputs);
    return [...logits.emotion!.dataSync(), ...logits.gender!.dataSync()];
  });
}

function snapshot(model: MultitaskModel): Record<string, number[]> {
  return Object.fromEntries(model.allVariables().map(({ path, variable }) => [path, Array.from(variable.dataSync())]));
}

describe('checkpoints', () => {
  let dir: string;
  let model: MultitaskModel;
  let inputs: ReturnType<typeof makeInputs>;

  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
    dir = await mkdtemp(join(tmpdir(), 'mtl-models-checkpoint-'));
    model = createModel(testConfig('compact', 'multi', 4));
    inputs = makeInputs(model, [3, 2], 3, 5);
    // A few training steps, so weights and batch-norm averages are no longer their initial values.
    const optimizer = tf.train.adam(1e-2);
    for (let step = 0; step < 2; step++) {
      optimizer.minimize(
        () => tf.mean(model.forward(inputs, { training: true, seed: step }).emotion!) as tf.Scalar,
        false,
        model.trainableVariables(),
      );
    }
    optimizer.dispose();
  });
  afterAll(async () => {
    model.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('saves model.json + weights.bin in tfjs format and loads back bitwise-identical outputs', async () => {
    const target = join(dir, 'run', 'best');
    await saveCheckpoint(model, target);
    expect((await readdir(target)).sort()).toEqual(['model.json', 'weights.bin']);
    const modelJson = JSON.parse(await readFile(join(target, 'model.json'), 'utf8'));
    expect(modelJson.format).toBe(CHECKPOINT_FORMAT);
    expect(modelJson.modelTopology).toEqual(model.config);
    expect(modelJson.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(modelJson.weightsManifest[0].weights.map((w: { name: string }) => w.name)).toEqual(
      model.allVariables().map((entry) => entry.path),
    );

    const loaded = await loadCheckpoint(target);
    try {
      expect(loaded.config).toEqual(model.config);
      expect(snapshot(loaded)).toEqual(snapshot(model));
      expect(outputs(loaded, inputs)).toEqual(outputs(model, inputs));
    } finally {
      loaded.dispose();
    }
  });

  it("loads through tfjs's browser HTTP handler, as a web page would", async () => {
    const target = join(dir, 'served');
    await saveCheckpoint(model, target);
    const fetchFunc = async (input: string | URL | Request) => {
      const url = input instanceof Request ? input.url : String(input);
      return new Response(await readFile(join(target, url.replace('http://host/ckpt/', ''))));
    };
    const artifacts = await tf.io.browserHTTPRequest('http://host/ckpt/model.json', { fetchFunc }).load!();
    const loaded = modelFromArtifacts(artifacts);
    try {
      expect(outputs(loaded, inputs)).toEqual(outputs(model, inputs));
    } finally {
      loaded.dispose();
    }
  });

  it('replaces an existing checkpoint atomically, leaving no staging folders', async () => {
    const target = join(dir, 'last');
    const other = createModel(testConfig('compact', 'multi', 99));
    try {
      await saveCheckpoint(other, target);
      await saveCheckpoint(model, target);
      expect((await readdir(dir)).filter((name) => name.startsWith('last'))).toEqual(['last']);
      const loaded = await loadCheckpoint(target);
      expect(outputs(loaded, inputs)).toEqual(outputs(model, inputs));
      loaded.dispose();
    } finally {
      other.dispose();
    }
  });

  it('refuses to load into a different config, naming the variable, and assigns nothing', async () => {
    const target = join(dir, 'mismatch');
    await saveCheckpoint(model, target);
    const artifacts = await readCheckpoint(target);

    const audioOnly = createModel(testConfig('compact', 'audio', 4));
    const before = snapshot(audioOnly);
    expect(() => restoreWeights(audioOnly, artifacts)).toThrow(
      /variable 'fusion\/lstm\/layer0\/inputKernel' is float32 \[232, 256\] in the checkpoint but float32 \[200, 256\] in this model/,
    );
    expect(snapshot(audioOnly)).toEqual(before);
    audioOnly.dispose();

    const moreTasks = createModel({
      ...testConfig('compact', 'multi', 4),
      tasks: [...TASKS, { name: 'age', classes: 3 }],
    });
    expect(() => restoreWeights(moreTasks, artifacts)).toThrow(
      /variable 'heads\/age\/dense\/kernel' \[64, 3\] is missing from the checkpoint/,
    );
    moreTasks.dispose();

    const fewerTasks = createModel({ ...testConfig('compact', 'multi', 4), tasks: [TASKS[0]!] });
    expect(() => restoreWeights(fewerTasks, artifacts)).toThrow(
      /the checkpoint has variable 'heads\/gender\/dense\/kernel', which this model does not/,
    );
    fewerTasks.dispose();
  });

  it('reports missing, foreign and truncated checkpoints clearly', async () => {
    await expect(loadCheckpoint(join(dir, 'nowhere'))).rejects.toThrow(
      /readCheckpoint: cannot read '.*nowhere\/model.json'/,
    );

    const target = join(dir, 'damaged');
    await saveCheckpoint(model, target);
    const weights = await readFile(join(target, 'weights.bin'));
    await writeFile(join(target, 'weights.bin'), weights.subarray(0, weights.length - 8));
    await expect(loadCheckpoint(target)).rejects.toThrow(
      new RegExp(`weight files hold ${weights.length - 8} bytes but the manifest describes ${weights.length}`),
    );

    await rm(join(target, 'weights.bin'));
    await expect(loadCheckpoint(target)).rejects.toThrow(/cannot read weight file '.*damaged\/weights.bin'/);

    const modelJson = JSON.parse(await readFile(join(target, 'model.json'), 'utf8'));
    await writeFile(join(target, 'model.json'), JSON.stringify({ ...modelJson, format: 'layers-model' }));
    await writeFile(join(target, 'weights.bin'), weights);
    await expect(loadCheckpoint(target)).rejects.toThrow(/model.json has format "layers-model", expected 'mtl-models'/);
  });
});
