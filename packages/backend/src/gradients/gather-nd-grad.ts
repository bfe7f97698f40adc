import { GatherNd, type GradConfig, scatterND, type Tensor } from '@tensorflow/tfjs-core';

/**
 * tfjs-core 4.22 has no gradient for GatherNd. d params = scatterND(indices, dy,
 * params.shape): scatterND sums updates at repeated indices, as the chain rule needs.
 * The integer indices get no gradient.
 */
export const gatherNdGradConfig: GradConfig = {
  kernelName: GatherNd,
  inputsToSave: ['params', 'indices'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const [params, indices] = saved as [Tensor, Tensor];
    return { params: () => scatterND(indices, dy as Tensor, params.shape) };
  },
};
