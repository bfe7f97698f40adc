import type { MethodDefinition, PaperReference } from './method-definition.js';
import { type AlignedMtlOptions, alignedMtlMethod } from './methods/aligned-mtl.js';
import { type CaGradOptions, cagradMethod } from './methods/cagrad.js';
import { type DbMtlOptions, dbMtlMethod } from './methods/db-mtl.js';
import { type DualProjOptions, dualprojMethod } from './methods/dualproj.js';
import { type DwaOptions, dwaMethod } from './methods/dwa.js';
import { type ExcessMtlOptions, excessMtlMethod } from './methods/excess-mtl.js';
import { type FairGradOptions, fairgradMethod } from './methods/fairgrad.js';
import { type FamoOptions, famoMethod } from './methods/famo.js';
import { type GlsOptions, glsMethod } from './methods/gls.js';
import { type GradNormOptions, gradnormMethod } from './methods/gradnorm.js';
import { type GradVacOptions, gradvacMethod } from './methods/gradvac.js';
import { type ImtlGOptions, imtlGMethod } from './methods/imtl-g.js';
import { type ImtlLOptions, imtlLMethod } from './methods/imtl-l.js';
import { type MgdaOptions, mgdaMethod } from './methods/mgda.js';
import { type MocoOptions, mocoMethod } from './methods/moco.js';
import { type NashMtlOptions, nashMtlMethod } from './methods/nash-mtl.js';
import { type PcGradOptions, pcgradMethod } from './methods/pcgrad.js';
import { type RlwOptions, rlwMethod } from './methods/rlw.js';
import { type SoftmaxOptions, softmaxMethod } from './methods/softmax.js';
import { type StaticOptions, staticMethod } from './methods/static.js';
import { type StchOptions, stchMethod } from './methods/stch.js';
import { type UncertaintyOptions, uncertaintyMethod } from './methods/uncertainty.js';
import { type UpGradOptions, upgradMethod } from './methods/upgrad.js';
import { parseOptions } from './options.js';
import type { StrategyState, WeightingStrategy } from './strategy.js';

/** Each registered method's options, by name. */
export interface StrategyOptionsByName {
  static: StaticOptions;
  softmax: SoftmaxOptions;
  uncertainty: UncertaintyOptions;
  dwa: DwaOptions;
  rlw: RlwOptions;
  gls: GlsOptions;
  gradnorm: GradNormOptions;
  famo: FamoOptions;
  'imtl-l': ImtlLOptions;
  stch: StchOptions;
  pcgrad: PcGradOptions;
  mgda: MgdaOptions;
  cagrad: CaGradOptions;
  'nash-mtl': NashMtlOptions;
  'imtl-g': ImtlGOptions;
  'aligned-mtl': AlignedMtlOptions;
  upgrad: UpGradOptions;
  dualproj: DualProjOptions;
  gradvac: GradVacOptions;
  fairgrad: FairGradOptions;
  moco: MocoOptions;
  'db-mtl': DbMtlOptions;
  'excess-mtl': ExcessMtlOptions;
}

export type StrategyName = keyof StrategyOptionsByName;

/** The task names and the method's options, in one object. */
export type StrategyConfig<N extends StrategyName> = { tasks: readonly string[] } & StrategyOptionsByName[N];

const METHODS: { [N in StrategyName]: MethodDefinition<StrategyOptionsByName[N]> } = {
  static: staticMethod,
  softmax: softmaxMethod,
  uncertainty: uncertaintyMethod,
  dwa: dwaMethod,
  rlw: rlwMethod,
  gls: glsMethod,
  gradnorm: gradnormMethod,
  famo: famoMethod,
  'imtl-l': imtlLMethod,
  stch: stchMethod,
  pcgrad: pcgradMethod,
  mgda: mgdaMethod,
  cagrad: cagradMethod,
  'nash-mtl': nashMtlMethod,
  'imtl-g': imtlGMethod,
  'aligned-mtl': alignedMtlMethod,
  upgrad: upgradMethod,
  dualproj: dualprojMethod,
  gradvac: gradvacMethod,
  fairgrad: fairgradMethod,
  moco: mocoMethod,
  'db-mtl': dbMtlMethod,
  'excess-mtl': excessMtlMethod,
};

export interface StrategyOptionDescription {
  name: string;
  doc: string;
  /** The default in words (`none` when optional without one). */
  default: string;
}

export interface StrategyDescription {
  name: StrategyName;
  summary: string;
  paper: PaperReference;
  options: StrategyOptionDescription[];
}

/** The registered method names, e.g. for a CLI's `--weighting` choices. */
export function strategyNames(): StrategyName[] {
  return Object.keys(METHODS) as StrategyName[];
}

/** Every method with its rule, paper and options, for help text. */
export function describeStrategies(): StrategyDescription[] {
  return strategyNames().map((name) => {
    const method = METHODS[name] as MethodDefinition<object>;
    return {
      name,
      summary: method.summary,
      paper: { ...method.paper },
      options: Object.entries(method.options).map(([option, spec]) => {
        const { doc, defaultDoc } = spec as { doc: string; defaultDoc: string };
        return { name: option, doc, default: defaultDoc };
      }),
    };
  });
}

function checkTasks(where: string, tasks: unknown): readonly string[] {
  if (!Array.isArray(tasks) || tasks.length === 0) {
    throw new Error(`${where}: option 'tasks' must be a non-empty array of task names, got ${JSON.stringify(tasks)}`);
  }
  const bad = tasks.find((task) => typeof task !== 'string' || task.length === 0);
  if (bad !== undefined) throw new Error(`${where}: option 'tasks' has an invalid task name ${JSON.stringify(bad)}`);
  const duplicate = tasks.find((task, i) => tasks.indexOf(task) !== i);
  if (duplicate !== undefined) throw new Error(`${where}: option 'tasks' names '${duplicate}' twice`);
  return Object.freeze([...tasks]);
}

/**
 * Builds a weighting strategy by name. `config.tasks` names the tasks (their order is the
 * order of array-form losses); the other keys are the method's options. Unknown names and
 * options, and bad values, throw with the valid choices.
 */
export function createStrategy<N extends StrategyName>(name: N, config: StrategyConfig<N>): WeightingStrategy;
export function createStrategy(
  name: string,
  config: { tasks: readonly string[]; [option: string]: unknown },
): WeightingStrategy;
export function createStrategy(
  name: string,
  config: { tasks: readonly string[]; [option: string]: unknown },
): WeightingStrategy {
  if (!Object.hasOwn(METHODS, name)) {
    throw new Error(`createStrategy: unknown strategy ${JSON.stringify(name)}; valid: ${strategyNames().join(', ')}`);
  }
  const where = `createStrategy('${name}')`;
  if (typeof config !== 'object' || config === null) throw new Error(`${where}: config must be an object with 'tasks'`);
  const { tasks: rawTasks, ...options } = config;
  const tasks = checkTasks(where, rawTasks);
  const method = METHODS[name as StrategyName] as MethodDefinition<object>;
  return method.create(tasks, parseOptions(where, method.options, options, tasks));
}

/** A new strategy with the method, tasks, options and state of a saved `state()`. */
export function restoreStrategy(state: StrategyState): WeightingStrategy {
  if (typeof state !== 'object' || state === null || typeof state.method !== 'string') {
    throw new Error('restoreStrategy: state must be an object from strategy.state()');
  }
  const strategy = createStrategy(state.method, { ...state.options, tasks: state.tasks });
  try {
    strategy.restore(state);
  } catch (error) {
    strategy.dispose();
    throw error;
  }
  return strategy;
}
