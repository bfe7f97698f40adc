/** An AbortSignal that SIGINT or SIGTERM aborts: pass it to `train`/`resume` so they stop after the current step. */
export interface SignalStop {
  signal: AbortSignal;
  /** The signal that arrived, if any. */
  received(): NodeJS.Signals | undefined;
  /** The exit code for a run stopped by it: 128 + the signal's number (130 for SIGINT, 143 for SIGTERM). */
  exitCode(): number;
  /** Removes the handlers. */
  dispose(): void;
}

const NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGTERM: 15 };

/**
 * Wires process signals to an AbortSignal. The first signal asks the run to finish its step
 * and write `last`; a second one exits at once (for a user who does not want to wait).
 */
export function stopOnSignals(signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): SignalStop {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (received !== undefined) process.exit(128 + (NUMBERS[signal] ?? 1));
    received = signal;
    process.stderr.write(`\n${signal}: finishing the current step and writing the last checkpoint...\n`);
    controller.abort(new Error(`stopped by ${signal}`));
  };
  for (const signal of signals) process.on(signal, handler);
  return {
    signal: controller.signal,
    received: () => received,
    exitCode: () => 128 + (received ? (NUMBERS[received] ?? 1) : 1),
    dispose: () => {
      for (const signal of signals) process.off(signal, handler);
    },
  };
}
