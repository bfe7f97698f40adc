import { hashSeed, SeededRandom } from '@mtl/common';
import * as tf from '@tensorflow/tfjs-core';
import type { Initializer } from './initializers.js';

/** One variable of a module tree, under its stable path (e.g. `audio/conv1/kernel`). */
export interface VariableEntry {
  path: string;
  variable: tf.Variable;
  /** False for state that is saved but not trained, such as batch-norm moving averages. */
  trainable: boolean;
}

const SEGMENT = /^[A-Za-z0-9_.-]+$/;

/**
 * Owns every variable of one model under a path name. The tfjs variable is named
 * `<store name>/<path>`, so two live models need different store names; the maps this
 * package hands out are keyed by path alone.
 */
export class VariableStore {
  private readonly byPath = new Map<string, VariableEntry>();

  constructor(
    readonly name: string,
    readonly seed: number,
  ) {
    if (!SEGMENT.test(name)) throw new Error(`VariableStore: name '${name}' must match ${SEGMENT}`);
  }

  /** A scope that prefixes the paths of the variables created through it. */
  scope(path: string): Scope {
    return new Scope(this, path);
  }

  create(path: string, shape: number[], init: Initializer, trainable: boolean): tf.Variable {
    for (const segment of path.split('/')) {
      if (!SEGMENT.test(segment)) throw new Error(`VariableStore: path '${path}' has an invalid segment '${segment}'`);
    }
    if (this.byPath.has(path)) throw new Error(`VariableStore: variable '${path}' is created twice`);
    const fullName = `${this.name}/${path}`;
    if (tf.engine().registeredVariables[fullName] !== undefined) {
      throw new Error(
        `VariableStore: a live model named '${this.name}' already owns '${path}'; dispose it or choose another name`,
      );
    }
    const values = init(shape, new SeededRandom(hashSeed(this.seed, path)));
    const variable = tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32'), trainable, fullName));
    this.byPath.set(path, { path, variable, trainable });
    return variable;
  }

  /** Every variable in creation order. */
  entries(): VariableEntry[] {
    return [...this.byPath.values()];
  }

  dispose(): void {
    for (const { variable } of this.byPath.values()) variable.dispose();
    this.byPath.clear();
  }
}

/** A path prefix within a store; modules create their variables and children through it. */
export class Scope {
  constructor(
    readonly store: VariableStore,
    readonly path: string,
  ) {}

  child(name: string): Scope {
    return new Scope(this.store, this.path === '' ? name : `${this.path}/${name}`);
  }

  variable(name: string, shape: number[], init: Initializer, trainable = true): tf.Variable {
    return this.store.create(this.child(name).path, shape, init, trainable);
  }

  /** The trainable variables created under this scope (its children's included), in creation order. */
  trainableVariables(): tf.Variable[] {
    const prefix = `${this.path}/`;
    return this.store
      .entries()
      .flatMap(({ path, variable, trainable }) => (trainable && path.startsWith(prefix) ? [variable] : []));
  }

  /** A seed for stochastic ops (dropout) that differs per module and per forward `seed`. */
  seedFor(forwardSeed: number): number {
    return hashSeed(forwardSeed, this.path);
  }
}
