/**
 * Exit codes, the same for every command (README "Exit codes"):
 * 0 done; 1 failed, nothing usable; 2 the command line or a config file is wrong;
 * 3 partly done (some inputs failed, each reported); 130 interrupted (Ctrl-C), resumable.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, partial: 3, interrupted: 130 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the user can act on: the message says what is wrong and what to do. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A wrong flag, value, or config entry: exit 2. */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT.usage);
}
