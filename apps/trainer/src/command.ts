import { Command, Option } from 'commander';
import { readConfigFile } from './config-file.js';
import { CliError, EXIT, type ExitCode, usageError } from './errors.js';
import { describeOption, type OptionSpecs, type ResolvedOptions } from './option-types.js';
import { type ProgressFactory, progressFactory } from './progress.js';

/** What every command's `run` gets besides its options. */
export interface RunContext {
  /** Positional arguments (`predict FILE...`). */
  args: string[];
  /** Human-readable lines for the user, on stderr (stdout carries results). */
  log(line: string): void;
  /** Results: a JSON document with `--json`, the text otherwise. */
  print(result: unknown, text: () => string): void;
  progress: ProgressFactory;
  /** Aborted on the first Ctrl-C; commands that can stop cleanly (train) watch it. */
  signal: AbortSignal;
  /** The `--config` file the options came from, if any. */
  configFile?: string;
}

export interface CommandSpec<O extends OptionSpecs> {
  name: string;
  summary: string;
  /** Longer help, shown above the options. */
  description?: string;
  /** Positional arguments, e.g. `{ name: 'files', doc: ..., variadic: true }`. */
  argument?: { name: string; doc: string; variadic?: boolean };
  options: O;
  /** Reads options from `--config FILE` (JSON or YAML); flags override it. */
  configFile?: boolean;
  /** [command line, what it does]. */
  examples: [string, string][];
  /** More help after the examples (computed when help is shown). */
  moreHelp?: () => string;
  run(options: ResolvedOptions<O>, context: RunContext): Promise<ExitCode | undefined>;
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Lets `defineCommand` infer the option types. */
export function defineCommand<O extends OptionSpecs>(spec: CommandSpec<O>): CommandSpec<O> {
  return spec;
}

/**
 * Each option's value: the flag if given, else the config file's entry, else the default;
 * parsed by its spec. Errors name the flag (or the config file and key) and the problem.
 */
export function resolveOptions<O extends OptionSpecs>(
  specs: O,
  fromCli: Record<string, unknown>,
  fromConfig: Record<string, unknown>,
  configFile?: string,
): ResolvedOptions<O> {
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fromConfig)) {
    const name = camel(key);
    const spec = specs[name];
    if (!spec || spec.cliOnly) {
      const valid = Object.keys(specs)
        .filter((k) => !specs[k]?.cliOnly)
        .map(kebab);
      throw usageError(`config file ${configFile}: unknown option '${key}'; valid: ${valid.join(', ')}`);
    }
    config[name] = value;
  }
  const resolved: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const flag = `--${kebab(name)}`;
    let raw: unknown;
    let where: string;
    if (fromCli[name] !== undefined) {
      raw = fromCli[name];
      where = flag;
    } else if (config[name] !== undefined) {
      raw = config[name];
      where = `config file ${configFile}: '${kebab(name)}'`;
    } else {
      if (spec.required) throw usageError(`missing ${flag}${spec.value ? ` ${spec.value}` : ''}: ${spec.required}`);
      resolved[name] = spec.default;
      continue;
    }
    try {
      resolved[name] = spec.parse(raw);
    } catch (error) {
      throw usageError(`${where} ${(error as Error).message}`);
    }
  }
  return resolved as ResolvedOptions<O>;
}

function helpAfter(spec: CommandSpec<OptionSpecs>): string {
  const lines = ['', 'Examples:'];
  for (const [command, what] of spec.examples) lines.push(`  $ ${command}`, `      ${what}`);
  const more = spec.moreHelp?.();
  if (more) lines.push('', more);
  return lines.join('\n');
}

/** The program with its commands; errors surface from `runProgram` instead of exiting. */
export function createProgram(name: string, description: string, commands: CommandSpec<OptionSpecs>[]): Command {
  const program = new Command(name)
    .description(description.replace(/(?<!\n)\n(?!\n)/g, ' '))
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true);
  for (const command of commands) registerCommand(program, command);
  return program;
}

/** Adds a command, its options and its help to the program. */
export function registerCommand(program: Command, spec: CommandSpec<OptionSpecs>): void {
  // Paragraphs are separated by blank lines; commander wraps each to the terminal.
  const description = (spec.description ?? spec.summary).replace(/(?<!\n)\n(?!\n)/g, ' ');
  const command = program.command(spec.name).summary(spec.summary).description(description);
  if (spec.argument) {
    const { name, doc, variadic } = spec.argument;
    command.argument(variadic ? `<${name}...>` : `<${name}>`, doc);
  }
  for (const [name, option] of Object.entries(spec.options)) {
    const flags = `--${kebab(name)}${option.value ? ` <${option.value}>` : ''}`;
    const entry = new Option(flags, describeOption(option));
    if (option.repeatable)
      entry.argParser((value: string, previous: unknown) => [...((previous as string[]) ?? []), value]);
    command.addOption(entry);
  }
  if (spec.configFile) {
    command.addOption(
      new Option(
        '--config <FILE>',
        'read options from a JSON or YAML file (keys are the long option names); flags override it',
      ),
    );
  }
  command.addHelpText('after', () => helpAfter(spec));
  command.action(async (...actionArgs: unknown[]) => {
    const cmd = actionArgs.at(-1) as Command;
    const cli = cmd.opts() as Record<string, unknown>;
    const { config: configFile, ...flags } = cli as { config?: string } & Record<string, unknown>;
    const fromConfig = configFile ? await readConfigFile(configFile) : {};
    const options = resolveOptions(spec.options, flags, fromConfig, configFile);
    const json = (options as { json?: boolean }).json === true;
    const interrupt = new AbortController();
    const onSigint = () => {
      if (interrupt.signal.aborted) process.exit(EXIT.interrupted);
      process.stderr.write('\ninterrupted: stopping cleanly (Ctrl-C again to quit at once)\n');
      interrupt.abort();
    };
    process.on('SIGINT', onSigint);
    const context: RunContext = {
      args: cmd.args,
      log: (line) => process.stderr.write(`${line}\n`),
      print: (result, text) => process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : `${text()}\n`),
      progress: progressFactory(),
      signal: interrupt.signal,
      ...(configFile ? { configFile } : {}),
    };
    try {
      process.exitCode = (await spec.run(options, context)) ?? EXIT.ok;
    } finally {
      process.off('SIGINT', onSigint);
    }
  });
}

/** Runs the program; every error becomes its message on stderr and its exit code. */
export async function runProgram(program: Command, argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
    return Number(process.exitCode ?? EXIT.ok);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return EXIT.ok;
    if (typeof code === 'string' && code.startsWith('commander.')) return EXIT.usage; // commander printed it
    if (error instanceof CliError) {
      process.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`error: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.failed;
  }
}
