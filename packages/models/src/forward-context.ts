/** How a forward pass runs: training switches dropout on and batch norm to batch statistics. */
export interface ForwardContext {
  training: boolean;
  /** Seeds dropout so a training step can be replayed exactly; random when absent. */
  seed?: number;
}

export const INFERENCE: ForwardContext = { training: false };
