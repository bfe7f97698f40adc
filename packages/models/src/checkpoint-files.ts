import { syncFolder, writeFileAtomic } from '@mtl/common';
import * as tf from '@tensorflow/tfjs-core';
import { encodeCheckpoint, modelFromArtifacts, WEIGHTS_FILE } from './checkpoint.js';
import type { CreateModelOptions, MultitaskModel } from './networks/multitask-model.js';

// node:fs and node:path load on first use, so importing this package in a browser works.
const nodeModules = async () => ({ fs: await import('node:fs/promises'), path: await import('node:path') });

/**
 * Writes `dir/model.json` and `dir/weights.bin` atomically: both go (each flushed to disk)
 * to a sibling staging folder that then replaces `dir`, so a reader sees the old
 * checkpoint or the new one, never a mix.
 */
export async function saveCheckpoint(model: MultitaskModel, dir: string): Promise<void> {
  const { fs, path } = await nodeModules();
  const { modelJson, weightData } = await encodeCheckpoint(model);
  const target = path.resolve(dir);
  const unique = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const staging = `${target}.staging-${unique}`;
  const retired = `${target}.retired-${unique}`;
  await fs.mkdir(path.dirname(target), { recursive: true });
  try {
    await fs.mkdir(staging);
    await writeFileAtomic(path.join(staging, WEIGHTS_FILE), new Uint8Array(weightData));
    await writeFileAtomic(path.join(staging, 'model.json'), `${JSON.stringify(modelJson, null, 2)}\n`);
    const hadPrevious = await fs.rename(target, retired).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false;
        throw error;
      },
    );
    await fs.rename(staging, target);
    await syncFolder(path.dirname(target));
    if (hadPrevious) await fs.rm(retired, { recursive: true, force: true });
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    throw new Error(`saveCheckpoint: could not write '${dir}': ${(error as Error).message}`);
  }
}

/** Reads `dir/model.json` and the weight files it lists into tfjs model artifacts. */
export async function readCheckpoint(dir: string): Promise<tf.io.ModelArtifacts> {
  const { fs, path } = await nodeModules();
  const jsonPath = path.join(dir, 'model.json');
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = JSON.parse(await fs.readFile(jsonPath, 'utf8'));
  } catch (error) {
    throw new Error(`readCheckpoint: cannot read '${jsonPath}': ${(error as Error).message}`);
  }
  return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
    const buffers: ArrayBuffer[] = [];
    for (const group of manifest) {
      for (const file of group.paths) {
        const filePath = path.join(dir, file);
        const bytes = await fs.readFile(filePath).catch((error: Error) => {
          throw new Error(`readCheckpoint: cannot read weight file '${filePath}': ${error.message}`);
        });
        buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      }
    }
    return [tf.io.getWeightSpecs(manifest), buffers.length === 1 ? buffers[0]! : buffers];
  });
}

/** Loads a checkpoint folder written by `saveCheckpoint` into a new model. */
export async function loadCheckpoint(dir: string, options: CreateModelOptions = {}): Promise<MultitaskModel> {
  return modelFromArtifacts(await readCheckpoint(dir), options);
}
