/**
 * Command-line options declared as data: each option's help line, placeholder, default and
 * parser live in one spec, so the help text, the checks of flags and of config-file entries,
 * and their error messages all come from the same place (as @mtl/dynamic-loss's options.ts
 * does for weighting methods). A parser takes a string from the command line or a typed value
 * from a config file, and returns the value or throws the reason (without the option's name,
 * which the caller adds).
 */
export interface OptionSpec<T> {
  doc: string;
  /** Placeholder of the value in help, e.g. `N` or `DIR`; absent for an on/off switch. */
  value?: string;
  /** The value when the option is not given. */
  default?: T;
  /** The default in words where the value alone would mislead (`one per core`). */
  defaultDoc?: string;
  /** Allowed values, listed in help. */
  choices?: readonly string[];
  /** What to do when it is missing; present only on required options. */
  required?: string;
  /** The option may be given several times; its value is the list. */
  repeatable?: boolean;
  /** Read from the command line only, never from `--config` (e.g. `--config` itself). */
  cliOnly?: boolean;
  parse(value: unknown): T;
}

export type OptionSpecs = Record<string, OptionSpec<unknown>>;

/** What a command's `run` receives: each option parsed, defaults filled in. */
export type ResolvedOptions<O extends OptionSpecs> = { [K in keyof O]: O[K] extends OptionSpec<infer T> ? T : never };

interface Common<D> {
  value?: string;
  default?: D;
  defaultDoc?: string;
  cliOnly?: boolean;
}

type WithDefault<T> = Common<T> & { default: T };

function asNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  throw new Error(`must be a number, got ${JSON.stringify(value)}`);
}

interface Bounds {
  min?: number;
  /** Smallest value excluded (`> min`) rather than allowed. */
  exclusiveMin?: boolean;
  max?: number;
}

function checkBounds(n: number, bounds: Bounds, kind: string): number {
  const low = bounds.min === undefined || (bounds.exclusiveMin ? n > bounds.min : n >= bounds.min);
  const high = bounds.max === undefined || n <= bounds.max;
  if (!Number.isFinite(n) || !low || !high) {
    const parts = [
      ...(bounds.min !== undefined ? [`${bounds.exclusiveMin ? '>' : '>='} ${bounds.min}`] : []),
      ...(bounds.max !== undefined ? [`<= ${bounds.max}`] : []),
    ];
    throw new Error(`must be ${kind}${parts.length > 0 ? ` ${parts.join(' and ')}` : ''}, got ${n}`);
  }
  return n;
}

export function integer(doc: string, options: WithDefault<number> & Bounds): OptionSpec<number>;
export function integer(doc: string, options?: Common<number> & Bounds): OptionSpec<number | undefined>;
export function integer(doc: string, options: Common<number> & Bounds = {}): OptionSpec<number | undefined> {
  return {
    doc,
    value: options.value ?? 'N',
    ...options,
    parse(value) {
      const n = asNumber(value);
      if (!Number.isInteger(n)) throw new Error(`must be a whole number, got ${JSON.stringify(value)}`);
      return checkBounds(n, options, 'a whole number');
    },
  };
}

export function decimal(doc: string, options: WithDefault<number> & Bounds): OptionSpec<number>;
export function decimal(doc: string, options?: Common<number> & Bounds): OptionSpec<number | undefined>;
export function decimal(doc: string, options: Common<number> & Bounds = {}): OptionSpec<number | undefined> {
  return {
    doc,
    value: options.value ?? 'X',
    ...options,
    parse: (value) => checkBounds(asNumber(value), options, 'a number'),
  };
}

export function choice<const C extends string>(
  doc: string,
  choices: readonly C[],
  options: WithDefault<NoInfer<C>>,
): OptionSpec<C>;
export function choice<const C extends string>(
  doc: string,
  choices: readonly C[],
  options?: Common<NoInfer<C>>,
): OptionSpec<C | undefined>;
export function choice<C extends string>(
  doc: string,
  choices: readonly C[],
  options: Common<C> = {},
): OptionSpec<C | undefined> {
  return {
    doc,
    value: options.value ?? 'NAME',
    choices,
    ...options,
    parse(value) {
      if (typeof value !== 'string' || !choices.includes(value as C)) {
        throw new Error(`must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
      }
      return value as C;
    },
  };
}

export function text(doc: string, options: WithDefault<string>): OptionSpec<string>;
export function text(doc: string, options?: Common<string>): OptionSpec<string | undefined>;
export function text(doc: string, options: Common<string> = {}): OptionSpec<string | undefined> {
  return {
    doc,
    value: options.value ?? 'TEXT',
    ...options,
    parse(value) {
      if (typeof value !== 'string' && typeof value !== 'number')
        throw new Error(`must be text, got ${JSON.stringify(value)}`);
      const s = String(value);
      if (s === '') throw new Error('must not be empty');
      return s;
    },
  };
}

/** A file or folder path; whether it must exist is the command's to check, so it can say what to do. */
export function path(doc: string, options: WithDefault<string>): OptionSpec<string>;
export function path(doc: string, options?: Common<string>): OptionSpec<string | undefined>;
export function path(doc: string, options: Common<string> = {}): OptionSpec<string | undefined> {
  return text(doc, { value: 'PATH', ...options });
}

/** An on/off switch: `--json`. In a config file, true or false. */
export function flag(doc: string, options: { cliOnly?: boolean } = {}): OptionSpec<boolean> {
  return {
    doc,
    default: false,
    ...options,
    parse(value) {
      if (value === true || value === 'true') return true;
      if (value === false || value === 'false') return false;
      throw new Error(`must be true or false, got ${JSON.stringify(value)}`);
    },
  };
}

/**
 * Repeatable `KEY=VALUE` pairs (`--weighting-option temperature=2 --weighting-option only=emotion`);
 * a VALUE that reads as JSON is that value (`weights=[1,0]`, `beta=0.5`), anything else a string.
 * In a config file, a mapping.
 */
export function keyValues(doc: string): OptionSpec<Record<string, unknown>> {
  return {
    doc,
    value: 'KEY=VALUE',
    repeatable: true,
    default: {},
    parse(value) {
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return { ...value };
      const pairs = Array.isArray(value) ? value : [value];
      const result: Record<string, unknown> = {};
      for (const pair of pairs) {
        const match = typeof pair === 'string' ? /^([^=\s]+)=(.*)$/s.exec(pair) : null;
        if (!match) throw new Error(`must be KEY=VALUE, got ${JSON.stringify(pair)}`);
        const [, key, raw] = match as unknown as [string, string, string];
        try {
          result[key] = JSON.parse(raw);
        } catch {
          result[key] = raw;
        }
      }
      return result;
    },
  };
}

/** Marks an option as required; `hint` says where its value comes from. */
export function required<T>(spec: OptionSpec<T>, hint: string): OptionSpec<Exclude<T, undefined>> {
  return { ...spec, required: hint } as OptionSpec<Exclude<T, undefined>>;
}

/** The help line of an option: doc, choices and default. */
export function describeOption(spec: OptionSpec<unknown>): string {
  const parts = [spec.doc];
  if (spec.choices) parts.push(`one of: ${spec.choices.join(', ')}`);
  if (spec.required) parts.push('required');
  else if (spec.defaultDoc) parts.push(`default: ${spec.defaultDoc}`);
  else if (spec.default !== undefined && spec.default !== false && !(spec.repeatable && isEmpty(spec.default)))
    parts.push(`default: ${String(spec.default)}`);
  return parts.join('; ');
}

function isEmpty(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}
