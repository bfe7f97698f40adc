/** Steps without any `endEpoch` after which a method that needs it warns. */
export const STEPS_BEFORE_EPOCH_WARNING = 1000;

/**
 * Notices a strategy that learns from `endEpoch` (DWA, STCH) training without it: its
 * weights would silently never change. Warns once, after STEPS_BEFORE_EPOCH_WARNING steps
 * or at a checkpoint (`state()`) after at least one step, when no epoch has ended yet.
 */
export class EpochWatch {
  private steps = 0;
  private epochs = 0;
  private warned = false;

  constructor(private readonly method: string) {}

  step(): void {
    this.steps += 1;
    if (this.steps >= STEPS_BEFORE_EPOCH_WARNING) this.check();
  }

  epoch(): void {
    this.epochs += 1;
  }

  check(): void {
    if (this.warned || this.epochs > 0 || this.steps === 0) return;
    this.warned = true;
    console.warn(
      `${this.method}: ${this.steps} training step(s) and no endEpoch() yet; ${this.method} only changes its weights at the end of an epoch: call strategy.endEpoch(meanTrainLossPerTask) after each epoch`,
    );
  }
}
