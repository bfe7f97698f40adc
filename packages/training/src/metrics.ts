import type { TaskEvalMetrics } from './run-store/index.js';

/** confusion[truth][predicted]: how many clips of class `truth` were predicted as `predicted`. */
export function confusionMatrix(truth: readonly number[], predicted: readonly number[], classes: number): number[][] {
  if (truth.length !== predicted.length) {
    throw new Error(`confusionMatrix: ${truth.length} labels but ${predicted.length} predictions`);
  }
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  truth.forEach((t, i) => {
    const p = predicted[i]!;
    for (const [name, value] of [
      ['label', t],
      ['prediction', p],
    ] as const) {
      if (!Number.isInteger(value) || value < 0 || value >= classes) {
        throw new Error(`confusionMatrix: ${name} ${i} is ${value}, not a class index in [0, ${classes})`);
      }
    }
    matrix[t]![p]!++;
  });
  return matrix;
}

/**
 * Accuracy, UA, WA and macro-F1 from a confusion matrix (rows = truth).
 * - WA (weighted accuracy) = accuracy = correct / all: classes weigh by their frequency.
 * - UA (unweighted accuracy) = mean recall over the classes that occur in the truth, so a
 *   rare class counts as much as a frequent one (the emotion literature's headline number).
 * - macro-F1 = mean F1 over the classes that occur in the truth or the predictions; a
 *   class that never occurs in either has no defined F1 and is left out.
 */
export function confusionScores(confusion: readonly (readonly number[])[]): Omit<TaskEvalMetrics, 'nll' | 'confusion'> {
  const classes = confusion.length;
  let total = 0;
  let correct = 0;
  const recalls: number[] = [];
  const f1s: number[] = [];
  for (let c = 0; c < classes; c++) {
    const row = confusion[c]!;
    const actual = row.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((sum, r) => sum + r[c]!, 0);
    const hits = row[c]!;
    total += actual;
    correct += hits;
    if (actual > 0) recalls.push(hits / actual);
    if (actual + predicted > 0) f1s.push((2 * hits) / (actual + predicted));
  }
  const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);
  const accuracy = total === 0 ? 0 : correct / total;
  return { accuracy, ua: mean(recalls), wa: accuracy, f1: mean(f1s) };
}

/**
 * One task's metrics from per-clip log-probabilities ([clip][class], e.g. a log-softmax of
 * the logits) and true class indices: mean NLL, then the confusion scores of the argmax.
 */
export function taskMetrics(
  logProbabilities: readonly (readonly number[])[],
  truth: readonly number[],
): TaskEvalMetrics {
  if (logProbabilities.length !== truth.length) {
    throw new Error(`taskMetrics: ${logProbabilities.length} predictions but ${truth.length} labels`);
  }
  if (truth.length === 0) throw new Error('taskMetrics: no clips to score');
  const classes = logProbabilities[0]!.length;
  let nll = 0;
  const predicted = logProbabilities.map((row, i) => {
    nll -= row[truth[i]!]!;
    let best = 0;
    for (let c = 1; c < row.length; c++) if (row[c]! > row[best]!) best = c;
    return best;
  });
  const confusion = confusionMatrix(truth, predicted, classes);
  return { nll: nll / truth.length, ...confusionScores(confusion), confusion };
}
