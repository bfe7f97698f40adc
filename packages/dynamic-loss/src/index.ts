export type { PaperReference } from './method-definition.js';
export type { AlignedMtlOptions, AlignedMtlScale } from './methods/aligned-mtl.js';
export type { CaGradOptions } from './methods/cagrad.js';
export type { DbMtlOptions } from './methods/db-mtl.js';
export type { DualProjOptions } from './methods/dualproj.js';
export type { DwaOptions } from './methods/dwa.js';
export type { ExcessMtlOptions } from './methods/excess-mtl.js';
export type { FairGradOptions } from './methods/fairgrad.js';
export type { FamoOptions } from './methods/famo.js';
export type { GlsOptions } from './methods/gls.js';
export type { GradNormOptions } from './methods/gradnorm.js';
export type { GradVacOptions } from './methods/gradvac.js';
export type { ImtlGOptions } from './methods/imtl-g.js';
export type { ImtlLOptions } from './methods/imtl-l.js';
export type { MgdaNormalization, MgdaOptions } from './methods/mgda.js';
export type { MocoOptions } from './methods/moco.js';
export type { NashMtlOptions } from './methods/nash-mtl.js';
export type { PcGradOptions } from './methods/pcgrad.js';
export type { RlwDistribution, RlwOptions } from './methods/rlw.js';
export type { SoftmaxOptions } from './methods/softmax.js';
export type { StaticOptions } from './methods/static.js';
export type { StchOptions } from './methods/stch.js';
export type { UncertaintyForm, UncertaintyOptions } from './methods/uncertainty.js';
export type { UpGradOptions } from './methods/upgrad.js';
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
export {
  type BackwardOptions,
  type BackwardResult,
  backward,
  REPRESENTATION_KEY,
  type SharedRepresentation,
  type TrainStepOptions,
  type TrainStepResult,
  trainStep,
  type VariableMap,
} from './train-step.js';
