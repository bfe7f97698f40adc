import * as tf from '@tensorflow/tfjs-core';
import type { TaskGradients, TaskLosses, WeightingStrategy } from './strategy.js';
import { orderLosses } from './task-losses.js';

export type VariableMap = Readonly<Record<string, tf.Variable>>;

/**
 * Representation mode (LibMTL's `rep_grad`): the model split at the shared
 * representation z, e.g. the fused LSTM output. The gradient method weighs the per-task
 * gradients dL_i/dz (cheap: they run through the heads only) instead of the gradients of
 * every shared parameter, and its direction for z is pulled back through the trunk in one
 * pass. Faster and far lighter for a large trunk, but an approximation: the weights come
 * from the geometry of the z-gradients, not of the parameter gradients (see the README).
 */
export interface SharedRepresentation {
  /** The shared trunk on this step's batch: the shared representation. Runs twice per step. */
  encode: () => tf.Tensor;
  /** Each task's scalar loss from the representation (the task heads). */
  decode: (representation: tf.Tensor) => TaskLosses;
}

/** What `backward` needs: the strategy, the forward pass and which parameters are shared. */
export interface BackwardOptions {
  strategy: WeightingStrategy;
  /**
   * The forward pass on this step's batch: each task's scalar loss. It runs once when the
   * strategy needs no per-task gradients, else once per task (each pass differentiates one
   * task's loss), plus once after the update when the strategy asks for the new losses,
   * so it should be deterministic for the batch.
   */
  computeLosses: () => TaskLosses;
  /** What the optimiser trains; default every trainable variable. The strategy's own variables are always added. */
  variables?: readonly tf.Variable[];
  /** The parameters shared by all tasks, by name; required when `needs.taskGradients` is `shared`. */
  shared?: VariableMap;
  /** The last layer shared by all tasks, by name; required when `needs.taskGradients` is `last-shared-layer`. */
  lastSharedLayer?: VariableMap;
  /**
   * Representation mode for a gradient method: per-task gradients of the shared
   * representation instead of the shared parameters (`shared` then names the trunk).
   */
  representation?: SharedRepresentation;
}

export interface TrainStepOptions extends BackwardOptions {
  optimizer: tf.Optimizer;
  /** Scale all gradients so their global L2 norm is at most this, before the update. */
  clipNorm?: number;
}

export interface TrainStepResult {
  /** The combined loss of the step. */
  loss: number;
  /** Each task's loss before the update. */
  losses: Record<string, number>;
  /**
   * The task weights of this step, read after its update direction was computed: the
   * loss weights `combine` used, or a gradient method's coefficients of the task gradients.
   */
  weights: Record<string, number>;
}

export interface BackwardResult extends TrainStepResult {
  /** The gradient of every trained variable, keyed by variable name, for `optimizer.applyGradients`. The caller disposes them. */
  grads: tf.NamedTensorMap;
  /**
   * Finishes the step after the caller applied `grads`: re-evaluates the losses when the
   * strategy asks for them and calls `strategy.afterStep`. Call it exactly once.
   */
  afterUpdate(): void;
}

/** The key of the representation's gradient in representation mode's task gradients. */
export const REPRESENTATION_KEY = 'representation';

/** Strategies whose last `backward` has not had its `afterUpdate` yet. */
const awaitingUpdate = new WeakSet<WeightingStrategy>();

/**
 * Steps 1-5 of the strategy contract (see `WeightingStrategy`): the combined gradients of
 * one step for the caller to apply with any optimiser, in the spirit of torchjd's
 * `backward(losses, aggregator)`. Call `afterUpdate()` on the result once they are
 * applied. Never names a method; leaves no tensors behind but the returned gradients,
 * also when a pass throws.
 */
export function backward(options: BackwardOptions): BackwardResult {
  const { strategy } = options;
  if (awaitingUpdate.has(strategy)) {
    throw new Error(
      `backward: strategy '${strategy.method}' is still waiting for afterUpdate() of its previous step; call result.afterUpdate() after applying its gradients`,
    );
  }
  const scope = strategy.needs.taskGradients;
  if (options.representation !== undefined) {
    if (scope !== 'shared') {
      throw new Error(
        `backward: representation mode is for gradient methods (needs.taskGradients 'shared'); '${strategy.method}' asks for '${scope}'`,
      );
    }
    if (strategy.needs.representation === false) {
      throw new Error(
        `backward: '${strategy.method}' cannot run in representation mode: its state holds one tensor per task over the shared parameters`,
      );
    }
  }
  const group = scope === 'none' ? undefined : scopeVariables(strategy, scope, options);
  strategy.beforeStep();
  const step =
    group === undefined
      ? combinedGradients(options)
      : options.representation !== undefined
        ? representationGradients(options, group, options.representation)
        : perTaskGradients(options, group);
  let weights: Record<string, number>;
  try {
    weights = strategy.weights();
  } catch (error) {
    tf.dispose(Object.values(step.grads));
    throw error;
  }
  awaitingUpdate.add(strategy);
  let finished = false;
  return {
    ...step,
    weights,
    afterUpdate() {
      if (finished) throw new Error(`backward: afterUpdate() of this step was already called`);
      finished = true;
      awaitingUpdate.delete(strategy);
      const lossesAfterStep = strategy.needs.lossesAfterStep
        ? tf.tidy(() =>
            orderLosses('computeLosses()', strategy.tasks, options.computeLosses()).map(
              (loss) => loss.dataSync()[0] as number,
            ),
          )
        : undefined;
      strategy.afterStep(lossesAfterStep === undefined ? undefined : { lossesAfterStep });
    },
  };
}

/**
 * One training step that follows the strategy contract: `backward`, optional clipping,
 * the optimiser update, then `afterUpdate`. Leaves no tensors behind.
 */
export function trainStep(options: TrainStepOptions): TrainStepResult {
  if (options.clipNorm !== undefined && !(options.clipNorm > 0)) {
    throw new Error(`trainStep: option 'clipNorm' must be > 0, got ${options.clipNorm}`);
  }
  const { grads, afterUpdate, ...result } = backward(options);
  try {
    if (options.clipNorm !== undefined) clipByGlobalNorm(grads, options.clipNorm);
    options.optimizer.applyGradients(grads);
  } catch (error) {
    // No update happened: the strategy is not waiting for one.
    awaitingUpdate.delete(options.strategy);
    throw error;
  } finally {
    tf.dispose(Object.values(grads));
  }
  afterUpdate();
  return result;
}

type StepGradients = Omit<BackwardResult, 'weights' | 'afterUpdate'>;

function trainedVariables(strategy: WeightingStrategy, options: BackwardOptions, extra: readonly tf.Variable[] = []) {
  return options.variables && [...new Set([...options.variables, ...extra, ...strategy.trainableVariables])];
}

function lossRecord(tasks: readonly string[], values: readonly number[]): Record<string, number> {
  return Object.fromEntries(tasks.map((task, i) => [task, values[i] as number]));
}

/** Step 2: the gradient of `combine` over everything the optimiser trains. */
function combinedGradients(options: BackwardOptions): StepGradients {
  const { strategy } = options;
  let stepLosses: tf.Tensor1D | undefined;
  const { value, grads } = recorded(() =>
    tf.variableGrads(
      () => {
        const losses = options.computeLosses();
        const combined = strategy.combine(losses);
        stepLosses = tf.keep(tf.stack(orderLosses('computeLosses()', strategy.tasks, losses)) as tf.Tensor1D);
        return combined;
      },
      trainedVariables(strategy, options) as tf.Variable[] | undefined,
    ),
  );
  const lossValues = Array.from(stepLosses!.dataSync());
  stepLosses!.dispose();
  const loss = value.dataSync()[0] as number;
  value.dispose();
  return { grads, loss, losses: lossRecord(strategy.tasks, lossValues) };
}

interface TaskPass {
  loss: tf.Scalar;
  grads: tf.NamedTensorMap;
}

/** One backward pass per task over `variables`; frees what it made if a pass throws. */
function taskPasses(
  strategy: WeightingStrategy,
  taskLoss: (index: number) => tf.Scalar,
  variables: tf.Variable[] | undefined,
): TaskPass[] {
  const passes: TaskPass[] = [];
  try {
    strategy.tasks.forEach((_, i) => {
      const { value, grads } = recorded(() => tf.variableGrads(() => taskLoss(i), variables));
      passes.push({ loss: value, grads });
    });
  } catch (error) {
    disposePasses(passes);
    throw error;
  }
  return passes;
}

/**
 * Runs a tfjs gradient computation, freeing what it recorded when `f` throws: tfjs keeps
 * the tensors a recorded op saves for its backward pass until that pass runs, so a
 * forward pass that throws halfway would otherwise leak them.
 */
function recorded<T>(compute: () => T): T {
  try {
    return compute();
  } catch (error) {
    const state = tf.engine().state as unknown as { gradientDepth: number; activeTape?: { saved?: tf.Tensor[] }[] };
    if (state.gradientDepth === 0 && state.activeTape !== undefined) {
      for (const node of state.activeTape) tf.dispose(node.saved ?? []);
      state.activeTape = [];
    }
    throw error;
  }
}

function disposePasses(passes: readonly TaskPass[]): void {
  for (const { loss, grads } of passes) tf.dispose([loss, ...Object.values(grads)]);
}

/**
 * The combined loss at the task losses, c_i = d combine / d L_i, and the gradient of the
 * strategy's own variables: `combine` depends on the model only through the losses.
 */
function differentiateCombine(
  strategy: WeightingStrategy,
  losses: readonly tf.Scalar[],
): { loss: number; lossValues: number[]; coefficients: number[]; ownGrads: tf.NamedTensorMap } {
  const lossVector = tf.stack(losses as tf.Scalar[]);
  try {
    const combineAt = (vector: tf.Tensor) => strategy.combine(tf.unstack(vector) as tf.Scalar[]);
    const [loss, coefficients] = tf.tidy(() => {
      const { value, grad } = tf.valueAndGrad(combineAt)(lossVector);
      return [value.dataSync()[0] as number, Array.from(grad.dataSync())];
    });
    let ownGrads: tf.NamedTensorMap = {};
    if (strategy.trainableVariables.length > 0) {
      const own = tf.variableGrads(() => combineAt(lossVector), strategy.trainableVariables as tf.Variable[]);
      own.value.dispose();
      ownGrads = own.grads;
    }
    return { loss, lossValues: Array.from(lossVector.dataSync()), coefficients, ownGrads };
  } finally {
    lossVector.dispose();
  }
}

/**
 * The strategy's replacements for the scope, checked to name only scope keys; on a bad
 * key they are freed and the error names it.
 */
function useTaskGradients(
  strategy: WeightingStrategy,
  taskGradients: TaskGradients,
  validKeys: readonly string[],
): tf.NamedTensorMap {
  const replacements = strategy.useTaskGradients(taskGradients);
  const unknown = Object.keys(replacements).find((key) => !validKeys.includes(key));
  if (unknown !== undefined) {
    tf.dispose(Object.values(replacements));
    throw new Error(
      `trainStep: ${strategy.method}.useTaskGradients returned a gradient for unknown parameter '${unknown}'`,
    );
  }
  return replacements;
}

/** sum_i c_i g_i for every variable some pass reached, except `skip`; new tensors. */
function foldPasses(
  passes: readonly TaskPass[],
  coefficients: readonly number[],
  skip: ReadonlySet<string>,
): tf.NamedTensorMap {
  const names = new Set(passes.flatMap((pass) => Object.keys(pass.grads)));
  const grads: tf.NamedTensorMap = {};
  for (const name of names) {
    if (skip.has(name)) continue;
    grads[name] = tf.tidy(() =>
      tf.addN(
        passes.flatMap((pass, i) => {
          const gradient = pass.grads[name];
          return gradient === undefined ? [] : [tf.mul(gradient, coefficients[i] as number)];
        }),
      ),
    );
  }
  return grads;
}

/** A pass's gradient of a variable; a variable its loss does not reach gets a zero, kept in `zeros` to dispose. */
function gradientOrZero(pass: TaskPass, variable: tf.Variable, zeros: tf.Tensor[]): tf.Tensor {
  const gradient = pass.grads[variable.name];
  if (gradient !== undefined) return gradient;
  const zero = tf.zerosLike(variable);
  zeros.push(zero);
  return zero;
}

/** Steps 3-4 over the parameters: T passes, the strategy's direction for the scope. */
function perTaskGradients(options: BackwardOptions, group: VariableMap): StepGradients {
  const { strategy } = options;
  const entries = Object.entries(group);
  const variables = trainedVariables(
    strategy,
    options,
    entries.map(([, variable]) => variable),
  ) as tf.Variable[] | undefined;
  const passes = taskPasses(
    strategy,
    (i) => orderLosses('computeLosses()', strategy.tasks, options.computeLosses())[i] as tf.Scalar,
    variables,
  );
  const zeros: tf.Tensor[] = [];
  const grads: tf.NamedTensorMap = {};
  try {
    const combined = differentiateCombine(
      strategy,
      passes.map((pass) => pass.loss),
    );
    Object.assign(grads, combined.ownGrads);
    // A scope parameter a task's loss does not reach gets a zero gradient, so every task has every key.
    const taskGradients: TaskGradients = Object.fromEntries(
      strategy.tasks.map((task, i) => {
        const pass = passes[i] as TaskPass;
        const gradients = Object.fromEntries(
          entries.map(([key, variable]) => [key, gradientOrZero(pass, variable, zeros)]),
        );
        return [task, { loss: pass.loss, gradients }];
      }),
    );
    const replacements = useTaskGradients(
      strategy,
      taskGradients,
      entries.map(([key]) => key),
    );
    const replaced = new Set<string>();
    for (const [key, gradient] of Object.entries(replacements)) {
      const name = (group[key] as tf.Variable).name;
      grads[name] = gradient;
      replaced.add(name);
    }
    Object.assign(grads, foldPasses(passes, combined.coefficients, replaced));
    return { grads, loss: combined.loss, losses: lossRecord(strategy.tasks, combined.lossValues) };
  } catch (error) {
    tf.dispose(Object.values(grads));
    throw error;
  } finally {
    disposePasses(passes);
    tf.dispose(zeros);
  }
}

/** Steps 3-4 in representation mode: T passes through the heads, one pass through the trunk. */
function representationGradients(
  options: BackwardOptions,
  trunk: VariableMap,
  representation: SharedRepresentation,
): StepGradients {
  const { strategy } = options;
  const initial = tf.tidy(() => representation.encode());
  if (!(initial instanceof tf.Tensor)) throw new Error('backward: representation.encode() must return a tensor');
  const z = tf.variable(initial, true);
  initial.dispose();
  const grads: tf.NamedTensorMap = {};
  const zeros: tf.Tensor[] = [];
  let passes: TaskPass[] = [];
  let direction: tf.Tensor | undefined;
  try {
    passes = taskPasses(
      strategy,
      (i) => orderLosses('representation.decode()', strategy.tasks, representation.decode(z))[i] as tf.Scalar,
      trainedVariables(strategy, options, [z]) as tf.Variable[] | undefined,
    );
    const combined = differentiateCombine(
      strategy,
      passes.map((pass) => pass.loss),
    );
    Object.assign(grads, combined.ownGrads);
    const representationGradients = passes.map((pass) => gradientOrZero(pass, z, zeros));
    const taskGradients: TaskGradients = Object.fromEntries(
      strategy.tasks.map((task, i) => [
        task,
        { loss: (passes[i] as TaskPass).loss, gradients: { [REPRESENTATION_KEY]: representationGradients[i]! } },
      ]),
    );
    const replacements = useTaskGradients(strategy, taskGradients, [REPRESENTATION_KEY]);
    direction =
      replacements[REPRESENTATION_KEY] ??
      tf.tidy(() =>
        tf.addN(representationGradients.map((gradient, i) => tf.mul(gradient, combined.coefficients[i] as number))),
      );
    if (direction.shape.join(',') !== z.shape.join(',')) {
      throw new Error(
        `backward: ${strategy.method}'s direction for the representation has shape [${direction.shape}], the representation [${z.shape}]`,
      );
    }
    const pullback = direction;
    const trunkPass = recorded(() =>
      tf.variableGrads(() => tf.sum(tf.mul(representation.encode(), pullback)), Object.values(trunk)),
    );
    trunkPass.value.dispose();
    Object.assign(grads, trunkPass.grads);
    Object.assign(grads, foldPasses(passes, combined.coefficients, new Set([z.name])));
    return { grads, loss: combined.loss, losses: lossRecord(strategy.tasks, combined.lossValues) };
  } catch (error) {
    tf.dispose(Object.values(grads));
    throw error;
  } finally {
    disposePasses(passes);
    tf.dispose(zeros);
    direction?.dispose();
    z.dispose();
  }
}

function scopeVariables(
  strategy: WeightingStrategy,
  scope: 'shared' | 'last-shared-layer',
  options: BackwardOptions,
): VariableMap {
  const group = scope === 'shared' ? options.shared : options.lastSharedLayer;
  const option = scope === 'shared' ? 'shared' : 'lastSharedLayer';
  if (group === undefined || Object.keys(group).length === 0) {
    throw new Error(
      `trainStep: strategy '${strategy.method}' needs per-task gradients of the ${scope === 'shared' ? 'shared parameters' : 'last shared layer'}; pass option '${option}'`,
    );
  }
  return group;
}

function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): void {
  const norm = tf.tidy(() =>
    Math.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))).dataSync()[0] as number),
  );
  if (norm <= maxNorm) return;
  for (const [name, gradient] of Object.entries(grads)) {
    grads[name] = tf.mul(gradient, maxNorm / norm);
    gradient.dispose();
  }
}
