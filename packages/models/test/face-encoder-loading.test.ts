// Its own file, so its own process: what it checks happens before face-api is first loaded.
import { createRequire } from 'node:module';
import { initBackend } from '@mtl/backend';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createModel, presetConfig } from '../src/index.js';
import { makeInputs, TASKS } from './helpers.js';

const loadedModules = () => Object.keys(createRequire(import.meta.url).cache);
const FACE_API_OR_TFJS_UNION = /[/\\]@vladmandic[/\\]face-api[/\\]|[/\\]@tensorflow[/\\]tfjs[/\\]/;

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

/** Makes `require` fail for face-api, as where the optional peer is not installed. */
function withoutFaceApi<T>(run: () => T): T {
  const Module = process.getBuiltinModule('node:module') as unknown as {
    _resolveFilename: (request: string, ...rest: unknown[]) => string;
  };
  const resolve = Module._resolveFilename;
  Module._resolveFilename = (request, ...rest) => {
    if (request.startsWith('@vladmandic/face-api')) {
      throw Object.assign(new Error(`Cannot find module '${request}'`), { code: 'MODULE_NOT_FOUND' });
    }
    return resolve(request, ...rest);
  };
  try {
    return run();
  } finally {
    Module._resolveFilename = resolve;
  }
}

describe('loading face-api', () => {
  it('never happens for models with the cnn encoder', () => {
    const model = createModel(presetConfig('compact', { modal: 'multi', tasks: TASKS }));
    const inputs = makeInputs(model, [2, 1], 2);
    tf.dispose(model.forward(inputs));
    tf.dispose([inputs.audio, inputs.video]);
    model.dispose();
    expect(loadedModules().filter((path) => FACE_API_OR_TFJS_UNION.test(path))).toEqual([]);
  });

  it('fails, where face-api is missing, with what to install; leaks nothing; succeeds once it resolves', () => {
    const config = presetConfig('compact', { modal: 'multi', tasks: TASKS, videoEncoder: 'face-recognition' });
    const tensors = tf.memory().numTensors;
    expect(() => withoutFaceApi(() => createModel(config, { name: 'faceModel' }))).toThrow(
      "video.encoder 'face-recognition': could not load @vladmandic/face-api (Cannot find module '@vladmandic/face-api/dist/face-api.node-wasm.js'). The face encoders need the optional peer dependencies: npm install @vladmandic/face-api@^1.7.15 @tensorflow/tfjs@^4.22.0",
    );
    // The audio branch built before the failure was disposed with the model's store.
    expect(tf.memory().numTensors).toBe(tensors);

    const model = createModel(config, { name: 'faceModel' });
    expect(model.frozenWeights().length).toBeGreaterThan(0);
    expect(loadedModules().some((path) => FACE_API_OR_TFJS_UNION.test(path))).toBe(true);
    model.dispose();
  });
});
