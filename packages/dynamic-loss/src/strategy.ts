import type * as tf from '@tensorflow/tfjs-core';

/**
 * Per-task scalar losses of one batch: a map keyed by task name, or an array in the
 * strategy's task order. `combine` differentiates through them, so they are tensors.
 */
export type TaskLosses = Readonly<Record<string, tf.Scalar>> | readonly tf.Scalar[];

/** Per-task loss values for the hooks, which only read them: numbers or scalar tensors. */
export type TaskLossValues = Readonly<Record<string, number | tf.Scalar>> | readonly (number | tf.Scalar)[];

/** A value of a strategy's state: what `JSON.stringify` writes and `JSON.parse` restores exactly. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The whole state of a strategy, JSON-safe, for checkpoints; `restore` takes it back. */
export interface StrategyState {
  /** The registry name of the method that wrote it. */
  method: string;
  /** The task names, in order; a state only restores into a strategy with the same tasks. */
  tasks: string[];
  /** The method's parsed options; a state only restores into a strategy with the same ones. */
  options: { [key: string]: JsonValue };
  /** The method's own data: variable values, histories, optimiser moments, RNG position. */
  data: { [key: string]: JsonValue };
}

/**
 * Which parameters the host differentiates each task's own loss by, one task at a time,
 * and hands to `useTaskGradients`:
 * - `none`: nothing beyond the gradient of `combine` (most loss-based methods);
 * - `last-shared-layer`: the last layer shared by all tasks (GradNorm reads the norms);
 * - `shared`: every shared parameter (gradient-based methods: PCGrad, MGDA, CAGrad, ...).
 */
export type TaskGradientScope = 'none' | 'last-shared-layer' | 'shared';

/** What a strategy asks of the host each step, so the host never names a method. */
export interface StrategyNeeds {
  taskGradients: TaskGradientScope;
  /**
   * Whether `afterStep` must receive the per-task losses re-evaluated on the same batch
   * after the parameter update (FAMO learns from the loss decrease the update caused).
   */
  lossesAfterStep: boolean;
  /**
   * Whether the method learns from `endEpoch` (DWA, STCH): without it their weights never
   * change, so such a strategy warns once when it trains without ever getting an epoch.
   */
  endEpoch?: boolean;
  /**
   * For `taskGradients: 'shared'`: whether the method also runs on per-task gradients of
   * the shared representation (the host's representation mode). `false` for methods whose
   * state holds one tensor per task over the shared parameters (MoCo, DB-MTL, ExcessMTL):
   * a representation's gradient changes shape with the batch. Absent means `true`.
   */
  representation?: boolean;
}

/**
 * One task's loss and the gradient of that loss alone (unweighted) with respect to each
 * parameter of the requested scope, keyed by the host's parameter names.
 */
export interface TaskGradient {
  loss: tf.Scalar;
  gradients: tf.NamedTensorMap;
}

/** Per-task gradients, keyed by task name; the host owns (and disposes) these tensors. */
export type TaskGradients = Readonly<Record<string, TaskGradient>>;

/** What the host passes to `afterStep`. */
export interface AfterStepInfo {
  /** The per-task losses on the step's batch after the update; required when `needs.lossesAfterStep`. */
  lossesAfterStep?: TaskLossValues;
}

/**
 * The one contract every weighting method implements. A host that runs, each step,
 *
 *   1. `beforeStep()`
 *   2. when `needs.taskGradients` is `none`: the gradient of `combine(losses)` over the
 *      model's variables and `trainableVariables`; go to 5.
 *   3. otherwise one backward pass per task (T passes, not T + 1): each task's own loss
 *      L_i differentiated over the variables the optimiser trains and the scope's
 *      parameters. With c_i = d combine / d L_i at this step's losses, every parameter
 *      gets sum_i c_i dL_i/dp, the gradient of `combine` by the chain rule (a head,
 *      reached by its own task's loss only, gets c_i times that task's gradient), and
 *      `trainableVariables` get the gradient of `combine`;
 *   4. `useTaskGradients(taskGradients)` with the scope's part of those gradients: the
 *      returned entries replace the gradients of those parameters (a gradient method's
 *      update direction); an empty map keeps sum_i c_i dL_i/dp;
 *   5. `weights()`, read now: for a gradient method the coefficients of the task gradients
 *      in the update just computed, for a loss method the weights `combine` used;
 *   6. the optimiser update;
 *   7. `afterStep({ lossesAfterStep })`, re-evaluating the losses first when `needs.lossesAfterStep`,
 *
 * and `endEpoch(meanTrainLosses)` after each epoch, gets every method right.
 * `backward` in this package does steps 1-5 and hands back the gradients for any
 * optimiser; `trainStep` is the whole host. In representation mode step 3 differentiates
 * the losses over the shared representation instead of the shared parameters, and the
 * direction for the representation is pulled back through the shared trunk in one pass.
 */
export interface WeightingStrategy {
  /** The registry name, e.g. `softmax`. */
  readonly method: string;
  /** Task names, in the order array-form losses use. */
  readonly tasks: readonly string[];
  readonly needs: StrategyNeeds;
  /**
   * Variables the host's optimiser trains together with the model (the paper's softmax
   * logits, uncertainty log-variances). `tf.variableGrads` without a list picks them up;
   * a host with an explicit list must add them. Empty when the method learns nothing this way.
   */
  readonly trainableVariables: readonly tf.Variable[];

  /** Called before each training step's forward pass. */
  beforeStep(): void;
  /**
   * The one scalar to minimise. Differentiable in the losses and in `trainableVariables`.
   * Records the losses it saw as the step's losses (FAMO, GLS read them).
   */
  combine(losses: TaskLosses): tf.Scalar;
  /**
   * Receives each task's gradient over `needs.taskGradients` (not called when that is
   * `none`). Returns gradients that replace the host's for the named parameters (a
   * gradient-based method's update direction for the shared parameters); an empty map
   * leaves the host's gradients as they are (GradNorm only reads the norms). The host
   * owns and disposes the returned tensors.
   */
  useTaskGradients(taskGradients: TaskGradients): tf.NamedTensorMap;
  /** Called after the optimiser update. */
  afterStep(info?: AfterStepInfo): void;
  /** Called after each training epoch with the epoch's mean training loss per task. */
  endEpoch(meanLosses: TaskLossValues): void;

  /**
   * The current weight of each task, as plain numbers for logs: for a loss method the
   * weight of its loss in `combine` (d combined / d L_i); for a gradient method (scope
   * `shared`) the coefficient of its gradient in the last update direction.
   */
  weights(): Record<string, number>;
  /** Everything needed to continue identically after a restart, JSON-safe. */
  state(): StrategyState;
  /** Restores what `state()` returned (possibly after a JSON round trip). */
  restore(state: StrategyState): void;
  /** Frees the strategy's tensors and variables. */
  dispose(): void;
}
