import { readNumbers } from './state-data.js';
import type { JsonValue } from './strategy.js';

export interface NumberAdamConfig {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** L2 weight decay added to the gradient before the moments, as PyTorch's `Adam(weight_decay=...)`. */
  weightDecay?: number;
}

/**
 * Adam over a short vector of plain numbers, for a strategy's own few parameters (FAMO's
 * logits, GradNorm's weights): float64, exactly serialisable, no tensors to manage.
 */
export class NumberAdam {
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly weightDecay: number;
  private firstMoment: number[];
  private secondMoment: number[];
  private steps = 0;

  constructor(
    size: number,
    private readonly config: NumberAdamConfig,
  ) {
    this.beta1 = config.beta1 ?? 0.9;
    this.beta2 = config.beta2 ?? 0.999;
    this.epsilon = config.epsilon ?? 1e-8;
    this.weightDecay = config.weightDecay ?? 0;
    this.firstMoment = new Array(size).fill(0);
    this.secondMoment = new Array(size).fill(0);
  }

  /** The parameters after one step down the gradient. */
  step(params: readonly number[], gradient: readonly number[]): number[] {
    this.steps += 1;
    const correction1 = 1 - this.beta1 ** this.steps;
    const correction2 = 1 - this.beta2 ** this.steps;
    return params.map((param, i) => {
      const g = (gradient[i] as number) + this.weightDecay * param;
      const m = this.beta1 * (this.firstMoment[i] as number) + (1 - this.beta1) * g;
      const v = this.beta2 * (this.secondMoment[i] as number) + (1 - this.beta2) * g * g;
      this.firstMoment[i] = m;
      this.secondMoment[i] = v;
      return param - (this.config.learningRate * (m / correction1)) / (Math.sqrt(v / correction2) + this.epsilon);
    });
  }

  state(): { [key: string]: JsonValue } {
    return { steps: this.steps, firstMoment: [...this.firstMoment], secondMoment: [...this.secondMoment] };
  }

  restore(data: { [key: string]: JsonValue }, where: string): void {
    const steps = data.steps;
    if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 0) {
      throw new Error(`${where}: optimiser steps must be a non-negative integer, got ${JSON.stringify(steps)}`);
    }
    this.firstMoment = readNumbers(data.firstMoment, this.firstMoment.length, `${where}: optimiser firstMoment`);
    this.secondMoment = readNumbers(data.secondMoment, this.secondMoment.length, `${where}: optimiser secondMoment`);
    this.steps = steps;
  }
}
