import {
  Equal,
  type GradConfig,
  Greater,
  Less,
  LessEqual,
  LogicalAnd,
  LogicalNot,
  LogicalOr,
  NotEqual,
  type Tensor,
  zerosLike,
} from '@tensorflow/tfjs-core';

/**
 * Comparisons and logical ops have boolean outputs, so nothing flows back through them;
 * TensorFlow treats their gradient as zero, but tfjs-core 4.22 throws "gradient function
 * not found" as soon as a mask such as cast(greater(x, 0)) lies between a loss and a
 * variable. These give every input a zero gradient.
 */
function zeroGradient(kernelName: string, inputs: string[]): GradConfig {
  return {
    kernelName,
    inputsToSave: inputs,
    gradFunc: (_dy: Tensor | Tensor[], saved: Tensor[]) =>
      Object.fromEntries(inputs.map((name, i) => [name, () => zerosLike(saved[i] as Tensor)])),
  };
}

export const comparisonGradConfigs: GradConfig[] = [
  ...[Equal, Greater, Less, LessEqual, LogicalAnd, LogicalOr, NotEqual].map((name) => zeroGradient(name, ['a', 'b'])),
  zeroGradient(LogicalNot, ['x']),
];
