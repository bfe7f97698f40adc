export type { PaperReference } from './method-definition.js';
export type { DwaOptions } from './methods/dwa.js';
export type { FamoOptions } from './methods/famo.js';
export type { GlsOptions } from './methods/gls.js';
export type { GradNormOptions } from './methods/gradnorm.js';
export type { ImtlLOptions } from './methods/imtl-l.js';
export type { RlwDistribution, RlwOptions } from './methods/rlw.js';
export type { SoftmaxOptions } from './methods/softmax.js';
export type { StaticOptions } from './methods/static.js';
export type { StchOptions } from './methods/stch.js';
export type { UncertaintyForm, UncertaintyOptions } from './methods/uncertainty.js';
export {
  createStrategy,
  describeStrategies,
  restoreStrategy,
  type StrategyConfig,
  type StrategyDescription,
  type StrategyName,
  type StrategyOptionDescription,
  type StrategyOptionsByName,
  strategyNames,
} from './registry.js';
export type {
  AfterStepInfo,
  JsonValue,
  StrategyNeeds,
  StrategyState,
  TaskGradient,
  TaskGradientScope,
  TaskGradients,
  TaskLosses,
  TaskLossValues,
  WeightingStrategy,
} from './strategy.js';
export { type TrainStepOptions, type TrainStepResult, trainStep, type VariableMap } from './train-step.js';
