import * as tf from '@tensorflow/tfjs-core';
import type { JsonValue } from './strategy.js';

export type StateData = { [key: string]: JsonValue };

/** Checks that a restored value is a list of `length` finite numbers; `what` names it in the error. */
export function readNumbers(value: unknown, length: number, what: string): number[] {
  if (
    !Array.isArray(value) ||
    value.length !== length ||
    !value.every((x) => typeof x === 'number' && Number.isFinite(x))
  ) {
    throw new Error(`${what} must be ${length} finite numbers, got ${JSON.stringify(value)}`);
  }
  return [...value];
}

/** Reads the values of a 1-D variable or tensor as plain numbers. */
export function vectorValues(tensor: tf.Tensor): number[] {
  return Array.from(tensor.dataSync());
}

/** Sets a 1-D variable to the given numbers without leaving the staging tensor behind. */
export function assignValues(variable: tf.Variable, values: readonly number[]): void {
  const staged = tf.tensor1d(values as number[]);
  variable.assign(staged);
  staged.dispose();
}

/** A trainable 1-D variable holding `values`, without leaving the initial tensor behind. */
export function vectorVariable(values: readonly number[]): tf.Variable<tf.Rank.R1> {
  const initial = tf.tensor1d(values as number[]);
  const variable = tf.variable(initial, true) as tf.Variable<tf.Rank.R1>;
  initial.dispose();
  return variable;
}

/** Checks a restored `SeededRandom` position (a 32-bit unsigned integer). */
export function readRandomState(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new Error(`${where}: state.data.randomState must be a 32-bit unsigned integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * A tensor in a strategy's state: its shape and its float32 bytes as base64, so a T x P
 * state (MoCo's tracked gradients, DB-MTL's buffer, ExcessMTL's squared sums) survives
 * `JSON.stringify` bit for bit and at 4/3 bytes per byte, never as a list of JSON numbers.
 */
export interface EncodedTensor {
  dtype: 'float32';
  shape: number[];
  base64: string;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_INDEX = new Map([...BASE64].map((char, i) => [char, i]));

function bytesToBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] as number;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const chunk = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    parts.push(
      (BASE64[chunk >> 18] as string) +
        (BASE64[(chunk >> 12) & 63] as string) +
        (b === undefined ? '=' : (BASE64[(chunk >> 6) & 63] as string)) +
        (c === undefined ? '=' : (BASE64[chunk & 63] as string)),
    );
  }
  return parts.join('');
}

function base64ToBytes(text: string, what: string): Uint8Array {
  if (text.length % 4 !== 0) throw new Error(`${what} is not base64: its length ${text.length} is not a multiple of 4`);
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const bytes = new Uint8Array((text.length / 4) * 3);
  for (let i = 0, out = 0; i < text.length; i += 4) {
    let chunk = 0;
    for (let k = i; k < i + 4; k++) {
      const char = text[k] as string;
      const value = char === '=' && k >= text.length - padding ? 0 : BASE64_INDEX.get(char);
      if (value === undefined) throw new Error(`${what} is not base64: character ${JSON.stringify(char)} at ${k}`);
      chunk = (chunk << 6) | value;
    }
    bytes[out++] = (chunk >> 16) & 255;
    bytes[out++] = (chunk >> 8) & 255;
    bytes[out++] = chunk & 255;
  }
  return bytes.subarray(0, bytes.length - padding);
}

/** The tensor's exact float32 contents for a state. */
export function encodeTensor(tensor: tf.Tensor): EncodedTensor {
  const values = tensor.dataSync() as Float32Array;
  const copy = new Float32Array(values);
  return { dtype: 'float32', shape: [...tensor.shape], base64: bytesToBase64(new Uint8Array(copy.buffer)) };
}

/** A new tensor from `encodeTensor`'s output, checked; `what` names it in errors. */
export function decodeTensor(value: unknown, what: string): tf.Tensor {
  const record = value as Partial<EncodedTensor> | null;
  if (
    typeof record !== 'object' ||
    record === null ||
    record.dtype !== 'float32' ||
    !Array.isArray(record.shape) ||
    !record.shape.every((d) => Number.isInteger(d) && d >= 0) ||
    typeof record.base64 !== 'string'
  ) {
    throw new Error(
      `${what} must be an encoded tensor {dtype: 'float32', shape, base64}, got ${JSON.stringify(value)?.slice(0, 80)}`,
    );
  }
  const bytes = base64ToBytes(record.base64, what);
  const size = record.shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== size * 4) {
    throw new Error(`${what} holds ${bytes.length} bytes, shape [${record.shape}] needs ${size * 4}`);
  }
  return tf.tensor(new Float32Array(bytes.buffer, bytes.byteOffset, size), record.shape, 'float32');
}

/** Reads a non-negative integer step count from a state. */
export function readSteps(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new Error(`${what} must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return value;
}
