import cliProgress from 'cli-progress';

/** One progress bar: `update` as work finishes, `stop` at the end (also on failure). */
export interface Progress {
  update(done: number, fields?: { total?: number; status?: string }): void;
  stop(): void;
}

export type ProgressFactory = (label: string, total: number) => Progress;

const quiet: Progress = { update() {}, stop() {} };

/**
 * Bars with ETA and a live status (metrics) on stderr when it is a terminal; silent
 * otherwise (logs, CI, the experiment's child processes), so piped output stays clean.
 */
export function progressFactory(stream: NodeJS.WriteStream = process.stderr): ProgressFactory {
  if (!stream.isTTY || process.env.CI) return () => quiet;
  return (label, total) => {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${label.padEnd(10)} {bar} {value}/{total} | {duration_formatted} elapsed, ETA {eta_formatted} | {status}`,
        barsize: 24,
        hideCursor: true,
        etaBuffer: 20,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { status: '' });
    return {
      update(done, fields = {}) {
        if (fields.total !== undefined) bar.setTotal(fields.total);
        bar.update(done, { status: fields.status ?? '' });
      },
      stop: () => bar.stop(),
    };
  };
}
