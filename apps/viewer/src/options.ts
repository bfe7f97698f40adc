/**
 * The command line, declared as data: parsing, errors and --help all come from this table.
 */
export interface CliOption<T> {
  doc: string;
  /** The default in words for --help; `required` makes the flag required. */
  defaultDoc: string;
  /** The value when the flag is absent (undefined: stays absent). */
  defaultValue: T | undefined;
  parse(text: string): T;
}

function textOption(doc: string, defaultDoc: string, defaultValue?: string): CliOption<string> {
  return {
    doc,
    defaultDoc,
    defaultValue,
    parse(value) {
      if (value === '') throw new Error('must not be empty');
      return value;
    },
  };
}

function integerOption(doc: string, defaultValue: number, min: number, max: number): CliOption<number> {
  return {
    doc,
    defaultDoc: String(defaultValue),
    defaultValue,
    parse(value) {
      const n = Number(value);
      if (!/^\d+$/.test(value) || n < min || n > max) {
        throw new Error(`must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
      }
      return n;
    },
  };
}

export const CLI_OPTIONS = {
  runs: textOption('the runs folder to show (<id>/config.json, metrics.jsonl, ...)', 'required'),
  experiments: textOption('folder of <name>/results.json written by mtl-trainer experiment', '<runs>/../experiments'),
  port: integerOption('port to listen on (0 picks a free one)', 6006, 0, 65_535),
  host: textOption('address to bind; a non-loopback address shows your runs to the network', '127.0.0.1', '127.0.0.1'),
  poll: integerOption('how often to look for new runs and metrics, in milliseconds', 1000, 50, 60_000),
};

type Options = typeof CLI_OPTIONS;
export type CliValues = { [K in keyof Options]: ReturnType<Options[K]['parse']> | undefined } & {
  runs: string;
  port: number;
  host: string;
  poll: number;
};

export class CliError extends Error {}

export function helpText(): string {
  const lines = Object.entries(CLI_OPTIONS).map(
    ([name, option]) =>
      `  --${name.padEnd(12)} ${option.doc} (${option.defaultDoc === 'required' ? 'required' : `default ${option.defaultDoc}`})`,
  );
  return ['usage: mtl-viewer --runs DIR [--port 6006] [--host 127.0.0.1]', '', ...lines].join('\n');
}

/** `--name value` or `--name=value`; unknown flags, missing values and bad values are errors. */
export function parseCli(argv: string[]): CliValues | 'help' {
  const values: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--') continue;
    const match = /^--([a-z]+)(?:=(.*))?$/.exec(arg);
    const name = match?.[1];
    if (!match || !name || !Object.hasOwn(CLI_OPTIONS, name)) {
      throw new CliError(`unknown argument ${JSON.stringify(arg)}\n\n${helpText()}`);
    }
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new CliError(`--${name} needs a value`);
    try {
      values[name] = CLI_OPTIONS[name as keyof Options].parse(value);
    } catch (error) {
      throw new CliError(`--${name}: ${(error as Error).message}`);
    }
  }
  for (const [name, option] of Object.entries(CLI_OPTIONS)) {
    if (values[name] !== undefined) continue;
    if (option.defaultDoc === 'required') throw new CliError(`--${name} is required\n\n${helpText()}`);
    values[name] = option.defaultValue;
  }
  return values as CliValues;
}
