/**
 * A small schema language for the run-store files: each file's shape is declared once as
 * data (see `formats.ts`), and this checker turns it into messages that name the file, the
 * line and the field. Plain TypeScript, no tfjs, no Node APIs, so a browser can use it too.
 */

/** Where a value came from, for messages: a file and, for JSON Lines, a 1-based line. */
export interface Origin {
  file: string;
  line?: number;
}

/** A file of the run store does not have the shape its format declares. */
export class RunStoreError extends Error {
  constructor(
    readonly origin: Origin,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${describeOrigin(origin)}: ${field === '' ? '' : `field '${field}' `}${problem}`);
    this.name = 'RunStoreError';
  }
}

export function describeOrigin(origin: Origin): string {
  return origin.line === undefined ? origin.file : `${origin.file}:${origin.line}`;
}

export type Schema =
  | { kind: 'number'; integer?: boolean; min?: number; finite?: boolean }
  | { kind: 'string'; values?: readonly string[] }
  | { kind: 'boolean' }
  | { kind: 'any' }
  | { kind: 'array'; items: Schema }
  | { kind: 'record'; values: Schema }
  | { kind: 'object'; fields: Readonly<Record<string, Schema>>; optional?: readonly string[] }
  | { kind: 'nullable'; schema: Schema };

export const number = (options: { integer?: boolean; min?: number; finite?: boolean } = {}): Schema => ({
  kind: 'number',
  ...options,
});
export const integer = (min = 0): Schema => ({ kind: 'number', integer: true, min });
export const string = (values?: readonly string[]): Schema =>
  values ? { kind: 'string', values } : { kind: 'string' };
export const boolean: Schema = { kind: 'boolean' };
export const anyJson: Schema = { kind: 'any' };
export const array = (items: Schema): Schema => ({ kind: 'array', items });
export const record = (values: Schema): Schema => ({ kind: 'record', values });
export const nullable = (schema: Schema): Schema => ({ kind: 'nullable', schema });
export const object = (fields: Record<string, Schema>, optional: readonly string[] = []): Schema => ({
  kind: 'object',
  fields,
  optional,
});

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : JSON.stringify(value);
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

/** Throws a `RunStoreError` naming the first field of `value` that does not fit `schema`. */
export function check(schema: Schema, value: unknown, origin: Origin, path = ''): void {
  const fail = (problem: string): never => {
    throw new RunStoreError(origin, path, problem);
  };
  switch (schema.kind) {
    case 'any':
      return;
    case 'nullable':
      if (value !== null) check(schema.schema, value, origin, path);
      return;
    case 'number':
      // JSON has no NaN or Infinity: a metric that diverged is written as null, never as a number.
      if (typeof value !== 'number') fail(`must be a number, got ${typeName(value)}`);
      if (schema.integer && !Number.isInteger(value)) fail(`must be an integer, got ${value}`);
      if (schema.min !== undefined && (value as number) < schema.min) fail(`must be >= ${schema.min}, got ${value}`);
      return;
    case 'string':
      if (typeof value !== 'string') fail(`must be a string, got ${typeName(value)}`);
      if (schema.values && !schema.values.includes(value as string)) {
        fail(`must be one of ${schema.values.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(value)}`);
      }
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail(`must be true or false, got ${typeName(value)}`);
      return;
    case 'array':
      if (!Array.isArray(value)) fail(`must be an array, got ${typeName(value)}`);
      (value as unknown[]).forEach((item, i) => {
        check(schema.items, item, origin, join(path, i));
      });
      return;
    case 'record':
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        fail(`must be an object, got ${typeName(value)}`);
      }
      for (const [key, item] of Object.entries(value as object)) check(schema.values, item, origin, join(path, key));
      return;
    case 'object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        fail(`must be an object, got ${typeName(value)}`);
      }
      const fields = value as Record<string, unknown>;
      for (const [key, field] of Object.entries(schema.fields)) {
        if (fields[key] === undefined) {
          if (schema.optional?.includes(key)) continue;
          throw new RunStoreError(origin, join(path, key), 'is missing');
        }
        check(field, fields[key], origin, join(path, key));
      }
      return;
    }
  }
}
