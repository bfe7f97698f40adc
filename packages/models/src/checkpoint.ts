import * as tf from '@tensorflow/tfjs-core';
import { type ModelConfig, usesVideo, validateConfig } from './config.js';
import { type CreateModelOptions, MultitaskModel } from './networks/multitask-model.js';

/** `format` of a checkpoint's model.json. */
export const CHECKPOINT_FORMAT = 'mtl-models';
export const WEIGHTS_FILE = 'weights.bin';

/**
 * A checkpoint in tfjs's own layout: a model.json whose `modelTopology` is the model's
 * config and whose `weightsManifest` lists every variable by path, plus one weights file.
 * `tf.io.browserHTTPRequest(url).load()` reads it in a browser.
 */
export interface EncodedCheckpoint {
  modelJson: tf.io.ModelJSON;
  weightData: ArrayBuffer;
}

export async function encodeCheckpoint(model: MultitaskModel): Promise<EncodedCheckpoint> {
  const named = model.allVariables().map(({ path, variable }) => ({ name: path, tensor: variable }));
  const { data, specs } = await tf.io.encodeWeights(named);
  const modelJson: tf.io.ModelJSON = {
    format: CHECKPOINT_FORMAT,
    generatedBy: `@mtl/models on TensorFlow.js ${tf.version_core}`,
    convertedBy: null,
    modelTopology: model.config,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs }],
  };
  return { modelJson, weightData: data };
}

/** The config a checkpoint's artifacts carry, checked. */
export function checkpointConfig(artifacts: tf.io.ModelArtifacts): ModelConfig {
  if (artifacts.format !== CHECKPOINT_FORMAT) {
    throw new Error(
      `checkpoint: model.json has format ${JSON.stringify(artifacts.format)}, expected '${CHECKPOINT_FORMAT}'`,
    );
  }
  return validateConfig(artifacts.modelTopology as ModelConfig);
}

/**
 * Copies a checkpoint's weights into `model`. Every variable must match by path and
 * shape, both ways; nothing is assigned unless all do, and the error names the first
 * variable that differs.
 */
export function restoreWeights(model: MultitaskModel, artifacts: tf.io.ModelArtifacts): void {
  if (artifacts.weightSpecs === undefined || artifacts.weightData === undefined) {
    throw new Error('restoreWeights: the checkpoint has no weights (weightsManifest or weight files missing)');
  }
  const saved = artifacts.modelTopology as Partial<ModelConfig> | undefined;
  const savedEncoder = saved?.modal !== undefined && usesVideo(saved.modal) ? saved.video?.encoder : undefined;
  if (usesVideo(model.config.modal) && savedEncoder !== undefined && savedEncoder !== model.config.video.encoder) {
    throw new Error(
      `restoreWeights: the checkpoint was trained on video.encoder '${savedEncoder}' but this model uses '${model.config.video.encoder}'`,
    );
  }
  const specs = artifacts.weightSpecs;
  const odd = specs.find((spec) => spec.dtype !== 'float32' || spec.quantization !== undefined);
  if (odd !== undefined) {
    throw new Error(`restoreWeights: variable '${odd.name}' is not stored as plain float32, which this package writes`);
  }
  const needed = specs.reduce((bytes, spec) => bytes + 4 * spec.shape.reduce((a, b) => a * b, 1), 0);
  const buffers = Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData];
  const held = buffers.reduce((bytes, buffer) => bytes + buffer.byteLength, 0);
  if (held !== needed) {
    throw new Error(`restoreWeights: the weight files hold ${held} bytes but the manifest describes ${needed}`);
  }
  const weights = tf.io.decodeWeights(artifacts.weightData, specs);
  try {
    const entries = model.allVariables();
    for (const { path, variable } of entries) {
      const saved = weights[path];
      if (saved === undefined) {
        throw new Error(
          `restoreWeights: variable '${path}' [${variable.shape.join(', ')}] is missing from the checkpoint`,
        );
      }
      if (!tf.util.arraysEqual(saved.shape, variable.shape) || saved.dtype !== variable.dtype) {
        throw new Error(
          `restoreWeights: variable '${path}' is ${saved.dtype} [${saved.shape.join(', ')}] in the checkpoint but ${variable.dtype} [${variable.shape.join(', ')}] in this model`,
        );
      }
    }
    const known = new Set(entries.map((entry) => entry.path));
    const extra = Object.keys(weights).find((path) => !known.has(path));
    if (extra !== undefined) {
      throw new Error(`restoreWeights: the checkpoint has variable '${extra}', which this model does not`);
    }
    for (const { path, variable } of entries) variable.assign(weights[path]!);
  } finally {
    tf.dispose(weights);
  }
}

/** Builds the checkpoint's model from its config and restores its weights. */
export function modelFromArtifacts(artifacts: tf.io.ModelArtifacts, options: CreateModelOptions = {}): MultitaskModel {
  const model = new MultitaskModel(checkpointConfig(artifacts), options);
  try {
    restoreWeights(model, artifacts);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}
