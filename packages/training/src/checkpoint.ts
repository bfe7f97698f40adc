/**
 * A training checkpoint, one folder written as one unit: the model (`@mtl/models`' tfjs
 * files), the optimiser's moments, the strategy's state and the loop's position. Each file
 * is written atomically into a staging folder that then replaces the old checkpoint.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { syncFolder, writeFileAtomic } from '@mtl/common';
import type { StrategyState } from '@mtl/dynamic-loss';
import { encodeCheckpoint, type MultitaskModel, readCheckpoint, restoreWeights } from '@mtl/models';
import * as tf from '@tensorflow/tfjs-core';
import type { GuardedAdam } from './guarded-adam.js';

export const TRAINING_STATE_FORMAT = 'mtl-training-state/1';
const STATE_FILE = 'training-state.json';
const OPTIMIZER_FILE = 'optimizer.bin';

/** Where the loop stands and what it has accumulated: everything besides tensors that a resume needs. */
export interface LoopState {
  /** The epoch (1-based) and the batch index in it that come next. */
  position: { epoch: number; batch: number };
  /** Optimiser steps taken. */
  step: number;
  /** Sums of the current epoch's per-task training losses and the batches they cover (for `endEpoch`). */
  epochLosses: { sums: Record<string, number>; batches: number };
  best: { epoch: number | null; value: number | null };
  /** Epochs since the best one (early stopping). */
  staleEpochs: number;
  /** Seconds of training before this process started (resumed runs continue the clock). */
  wallTime: number;
  /** The loader's and the dropout's seed: their streams are pure functions of it, epoch and step. */
  seed: number;
}

interface StateFile {
  format: typeof TRAINING_STATE_FORMAT;
  loop: LoopState;
  strategy: StrategyState;
  optimizer: { specs: tf.io.WeightsManifestEntry[]; betaPowers: { beta1: number; beta2: number } };
}

export interface TrainingCheckpoint {
  model: MultitaskModel;
  optimizer: GuardedAdam;
  strategyState: StrategyState;
  loop: LoopState;
}

export async function saveTrainingCheckpoint(dir: string, checkpoint: TrainingCheckpoint): Promise<void> {
  const target = path.resolve(dir);
  const unique = `${process.pid}-${randomUUID().slice(0, 8)}`;
  const staging = `${target}.staging-${unique}`;
  const retired = `${target}.retired-${unique}`;
  await mkdir(staging, { recursive: true });
  try {
    const { modelJson, weightData } = await encodeCheckpoint(checkpoint.model);
    const optimizerWeights = await checkpoint.optimizer.getWeights();
    const encoded = await tf.io.encodeWeights(optimizerWeights);
    // The first entry is the step count, a fresh scalar; the rest are the optimiser's own variables.
    optimizerWeights[0]?.tensor.dispose();
    const state: StateFile = {
      format: TRAINING_STATE_FORMAT,
      loop: checkpoint.loop,
      strategy: checkpoint.strategyState,
      optimizer: {
        specs: encoded.specs,
        betaPowers: checkpoint.optimizer.betaPowers(),
      },
    };
    const weightsFile = modelJson.weightsManifest[0]!.paths[0]!;
    await writeFileAtomic(path.join(staging, weightsFile), new Uint8Array(weightData));
    await writeFileAtomic(path.join(staging, 'model.json'), `${JSON.stringify(modelJson, null, 1)}\n`);
    await writeFileAtomic(path.join(staging, OPTIMIZER_FILE), new Uint8Array(encoded.data));
    // Written last: a folder with a state file is complete.
    await writeFileAtomic(path.join(staging, STATE_FILE), `${JSON.stringify(state, null, 1)}\n`);
    const hadPrevious = await rename(target, retired).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false;
        throw error;
      },
    );
    await rename(staging, target);
    await syncFolder(path.dirname(target));
    if (hadPrevious) await rm(retired, { recursive: true, force: true });
    // A save killed between its renames left its predecessor aside: this one supersedes it.
    for (const stale of await retiredCopies(target)) await rm(stale, { recursive: true, force: true });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw new Error(`checkpoint: could not write '${dir}': ${(error as Error).message}`);
  }
}

/** The folders a save moved `target` aside to. */
async function retiredCopies(target: string): Promise<string[]> {
  const parent = path.dirname(target);
  return (await readdir(parent).catch(() => [] as string[]))
    .filter((name) => name.startsWith(`${path.basename(target)}.retired-`))
    .map((name) => path.join(parent, name));
}

/** Removes staging folders a killed save left behind (a complete save never leaves one). */
export async function removeStaleStaging(checkpointsDir: string): Promise<void> {
  const names = await readdir(checkpointsDir).catch(() => [] as string[]);
  for (const name of names.filter((n) => /\.staging-/.test(n))) {
    await rm(path.join(checkpointsDir, name), { recursive: true, force: true });
  }
}

/**
 * The checkpoint folder to read: `dir`, or, when a crash hit between the two renames of a
 * save, the complete previous one it had moved aside. Undefined when there is none.
 */
export async function findCheckpoint(dir: string): Promise<string | undefined> {
  const target = path.resolve(dir);
  if (
    await stat(path.join(target, STATE_FILE)).then(
      () => true,
      () => false,
    )
  )
    return target;
  for (const candidate of await retiredCopies(target)) {
    if (
      await stat(path.join(candidate, STATE_FILE)).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return undefined;
}

export interface LoadedState {
  loop: LoopState;
  strategy: StrategyState;
}

/** Restores a checkpoint into a model and optimiser built from the run's config; returns the rest. */
export async function loadTrainingCheckpoint(
  dir: string,
  model: MultitaskModel,
  optimizer: GuardedAdam | undefined,
): Promise<LoadedState> {
  const found = await findCheckpoint(dir);
  if (!found) throw new Error(`checkpoint: no complete checkpoint in '${dir}'`);
  const state = JSON.parse(await readFile(path.join(found, STATE_FILE), 'utf8')) as StateFile;
  if (state.format !== TRAINING_STATE_FORMAT) {
    throw new Error(
      `checkpoint: ${path.join(found, STATE_FILE)} has format ${JSON.stringify(state.format)}, expected '${TRAINING_STATE_FORMAT}'`,
    );
  }
  restoreWeights(model, await readCheckpoint(found));
  if (optimizer) {
    const bytes = await readFile(path.join(found, OPTIMIZER_FILE));
    const data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const named = tf.io.decodeWeights(data, state.optimizer.specs);
    // Moments are matched by position: the trainer always passes the model's variables in one order.
    await optimizer.setWeights(state.optimizer.specs.map((spec) => ({ name: spec.name, tensor: named[spec.name]! })));
    tf.dispose(Object.values(named));
    optimizer.setBetaPowers(state.optimizer.betaPowers);
  }
  return { loop: state.loop, strategy: state.strategy };
}
