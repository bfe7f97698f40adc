import type { JsonValue } from './strategy.js';

/**
 * One option of a method: its help line, its default, and a parser that either returns
 * the value or throws a reason (without the option's name, which the caller adds).
 */
export interface OptionSpec<T> {
  doc: string;
  /** The default in words, for help text; `none` when the option is optional without one. */
  defaultDoc: string;
  /** The value used when the option is absent; `undefined` leaves it absent. */
  defaultFor(tasks: readonly string[]): T | undefined;
  parse(value: unknown, tasks: readonly string[]): T;
}

export type OptionSpecs<O> = { [K in keyof O]-?: OptionSpec<Exclude<O[K], undefined>> };

/** Options after parsing: every option with a default is present. */
export type ParsedOptions<O> = { [K in keyof O]: O[K] };

interface NumberBounds {
  /** Smallest allowed value, inclusive unless `exclusiveMin`. */
  min?: number;
  exclusiveMin?: boolean;
  max?: number;
  integer?: boolean;
}

function describeBounds(bounds: NumberBounds): string {
  const kind = bounds.integer ? 'an integer' : 'a number';
  const parts: string[] = [];
  if (bounds.min !== undefined) parts.push(`${bounds.exclusiveMin ? '>' : '>='} ${bounds.min}`);
  if (bounds.max !== undefined) parts.push(`<= ${bounds.max}`);
  return parts.length === 0 ? `a finite ${kind.slice(2)}` : `${kind} ${parts.join(' and ')}`;
}

export function numberOption(
  doc: string,
  defaultValue: number | undefined,
  bounds: NumberBounds = {},
): OptionSpec<number> {
  return {
    doc,
    defaultDoc: defaultValue === undefined ? 'none' : String(defaultValue),
    defaultFor: () => defaultValue,
    parse(value) {
      const ok =
        typeof value === 'number' &&
        Number.isFinite(value) &&
        (!bounds.integer || Number.isInteger(value)) &&
        (bounds.min === undefined || (bounds.exclusiveMin ? value > bounds.min : value >= bounds.min)) &&
        (bounds.max === undefined || value <= bounds.max);
      if (!ok) throw new Error(`must be ${describeBounds(bounds)}, got ${JSON.stringify(value)}`);
      return value as number;
    },
  };
}

export function choiceOption<C extends string>(doc: string, defaultValue: C, choices: readonly C[]): OptionSpec<C> {
  return {
    doc,
    defaultDoc: defaultValue,
    defaultFor: () => defaultValue,
    parse(value) {
      if (!choices.includes(value as C)) {
        throw new Error(`must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
      }
      return value as C;
    },
  };
}

/** One task's name. */
export function taskOption(doc: string): OptionSpec<string> {
  return {
    doc,
    defaultDoc: 'none',
    defaultFor: () => undefined,
    parse(value, tasks) {
      if (typeof value !== 'string' || !tasks.includes(value)) {
        throw new Error(`must be one of the tasks (${tasks.join(', ')}), got ${JSON.stringify(value)}`);
      }
      return value;
    },
  };
}

/**
 * One number per task, as an array in task order or a map keyed by task name; the
 * parsed value is always the array.
 */
export function perTaskOption(
  doc: string,
  defaultDoc: string,
  defaultFor: (tasks: readonly string[]) => number[] | undefined,
  bounds: NumberBounds = {},
): OptionSpec<number[]> {
  const element = numberOption('', undefined, bounds);
  return {
    doc,
    defaultDoc,
    defaultFor,
    parse(value, tasks) {
      let values: unknown[];
      if (Array.isArray(value)) {
        if (value.length !== tasks.length) {
          throw new Error(`must have one value per task (${tasks.length}: ${tasks.join(', ')}), got ${value.length}`);
        }
        values = value;
      } else if (typeof value === 'object' && value !== null) {
        const record = value as Record<string, unknown>;
        const extra = Object.keys(record).filter((key) => !tasks.includes(key));
        const missing = tasks.filter((task) => !(task in record));
        if (extra.length > 0 || missing.length > 0) {
          const problems = [
            ...(missing.length > 0 ? [`missing ${missing.join(', ')}`] : []),
            ...(extra.length > 0 ? [`unknown ${extra.join(', ')}`] : []),
          ];
          throw new Error(`must name every task (${tasks.join(', ')}): ${problems.join('; ')}`);
        }
        values = tasks.map((task) => record[task]);
      } else {
        throw new Error(`must be an array of numbers or a map from task name to number, got ${JSON.stringify(value)}`);
      }
      return values.map((entry, i) => {
        try {
          return element.parse(entry, tasks);
        } catch (error) {
          throw new Error(`value for task '${tasks[i]}' ${(error as Error).message}`);
        }
      });
    },
  };
}

/**
 * Checks a method's options against its specs: unknown names and bad values throw with
 * the method, the option and the valid choices; absent options take their defaults.
 */
export function parseOptions<O>(
  where: string,
  specs: OptionSpecs<O>,
  options: Readonly<Record<string, unknown>>,
  tasks: readonly string[],
): ParsedOptions<O> {
  const valid = Object.keys(specs);
  const parsed: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) {
    if (!valid.includes(name)) {
      const list = valid.length === 0 ? 'this method takes no options' : `valid options: ${valid.join(', ')}`;
      throw new Error(`${where}: unknown option '${name}'; ${list}`);
    }
    if (value === undefined) continue;
    const spec = specs[name as keyof O] as OptionSpec<unknown>;
    try {
      parsed[name] = spec.parse(value, tasks);
    } catch (error) {
      throw new Error(`${where}: option '${name}' ${(error as Error).message}`);
    }
  }
  for (const name of valid) {
    if (name in parsed) continue;
    const fallback = (specs[name as keyof O] as OptionSpec<unknown>).defaultFor(tasks);
    if (fallback !== undefined) parsed[name] = fallback;
  }
  return parsed as ParsedOptions<O>;
}

/** The parsed options as JSON, for the strategy's state. */
export function optionsToJson(options: object): { [key: string]: JsonValue } {
  return JSON.parse(JSON.stringify(options));
}
