import { describe, expect, it } from 'vitest';
import { confusionMatrix, confusionScores, taskMetrics } from '../src/index.js';

describe('metrics', () => {
  // Truth: 4 of class 0, 2 of class 1, 1 of class 2, none of class 3.
  const truth = [0, 0, 0, 0, 1, 1, 2];
  const predicted = [0, 0, 0, 1, 1, 0, 3];

  it('counts a confusion matrix with rows = truth', () => {
    expect(confusionMatrix(truth, predicted, 4)).toEqual([
      [3, 1, 0, 0],
      [1, 1, 0, 0],
      [0, 0, 0, 1],
      [0, 0, 0, 0],
    ]);
    expect(() => confusionMatrix([0, 4], [0, 0], 4)).toThrow('label 1 is 4, not a class index in [0, 4)');
    expect(() => confusionMatrix([0], [0, 1], 4)).toThrow('1 labels but 2 predictions');
  });

  it('gives UA, WA and macro-F1 of a known confusion', () => {
    const scores = confusionScores(confusionMatrix(truth, predicted, 4));
    // WA = 4 correct / 7.
    expect(scores.wa).toBeCloseTo(4 / 7, 12);
    expect(scores.accuracy).toBeCloseTo(4 / 7, 12);
    // UA = mean recall over classes 0..2 (class 3 never occurs in the truth): (3/4 + 1/2 + 0) / 3.
    expect(scores.ua).toBeCloseTo((0.75 + 0.5 + 0) / 3, 12);
    // F1 per class = 2TP / (actual + predicted): c0 6/8, c1 2/4, c2 0/1, c3 0/1 (predicted once).
    expect(scores.f1).toBeCloseTo((6 / 8 + 2 / 4 + 0 + 0) / 4, 12);
  });

  it('scores log-probabilities: mean NLL and the argmax confusion', () => {
    const probabilities = [
      [0.7, 0.2, 0.1],
      [0.1, 0.8, 0.1],
      [0.5, 0.3, 0.2],
    ];
    const metrics = taskMetrics(
      probabilities.map((row) => row.map(Math.log)),
      [0, 1, 2],
    );
    expect(metrics.nll).toBeCloseTo(-(Math.log(0.7) + Math.log(0.8) + Math.log(0.2)) / 3, 12);
    expect(metrics.confusion).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [1, 0, 0],
    ]);
    expect(metrics.ua).toBeCloseTo(2 / 3, 12);
    expect(metrics.f1).toBeCloseTo((2 / 3 + 1 + 0) / 3, 12);
    expect(() => taskMetrics([], [])).toThrow('no clips');
  });
});
