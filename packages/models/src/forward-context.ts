/** How a forward pass runs: training switches dropout on and batch norm to batch statistics. */
export interface ForwardContext {
  training: boolean;
  /** Seeds dropout so a training step can be replayed exactly; random when absent. */
  seed?: number;
  /**
   * This pass recomputes one already made (the chunked video net's backward does): batch
   * norm leaves its moving averages alone, as the first pass updated them.
   */
  recomputing?: boolean;
}

export const INFERENCE: ForwardContext = { training: false };
