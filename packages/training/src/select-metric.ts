import type { EvalSummary } from './run-store/index.js';

const TASK_METRICS = ['nll', 'accuracy', 'ua', 'wa', 'f1'] as const;

export interface SelectMetric {
  name: string;
  value(evaluation: EvalSummary): number;
  better(candidate: number, best: number): boolean;
}

/**
 * The validation metric that picks the best checkpoint: `joint.nll` (the unweighted sum of
 * the task NLLs, the default: it does not move when a strategy reweights the tasks) or
 * `<task>.<nll|accuracy|ua|wa|f1>`. NLLs are better lower, the others higher.
 */
export function selectMetric(name: string, tasks: readonly string[]): SelectMetric {
  const lower = (a: number, b: number) => a < b;
  const higher = (a: number, b: number) => a > b;
  if (name === 'joint.nll') return { name, value: (e) => e.lossUnweighted, better: lower };
  const [task, metric] = name.split('.') as [string, (typeof TASK_METRICS)[number]];
  if (!tasks.includes(task) || !TASK_METRICS.includes(metric)) {
    const valid = ['joint.nll', ...tasks.flatMap((t) => TASK_METRICS.map((m) => `${t}.${m}`))];
    throw new Error(`selectMetric: unknown metric '${name}'; valid: ${valid.join(', ')}`);
  }
  return { name, value: (e) => e.tasks[task]![metric], better: metric === 'nll' ? lower : higher };
}
