import * as tf from '@tensorflow/tfjs-core';
import { GradientStrategy, type TaskJacobian } from './gradient-strategy.js';
import { decodeTensor, encodeTensor, type StateData } from './state-data.js';
import type { JsonValue, StrategyNeeds } from './strategy.js';

/**
 * A gradient method that keeps one tensor per task over the shared parameters between
 * steps (T x P state: MoCo, DB-MTL, ExcessMTL), stored per parameter as a [T, ...shape]
 * tensor and saved as base64 float32 bytes (exact, no JSON numbers). Not for
 * representation mode, where the "parameter" changes shape with the batch.
 */
export abstract class JacobianStrategy extends GradientStrategy {
  override readonly needs: StrategyNeeds = { taskGradients: 'shared', lossesAfterStep: false, representation: false };

  /** Each state tensor by name, then by parameter key. */
  protected abstract readonly stateNames: readonly string[];
  protected readonly tensors = new Map<string, Map<string, tf.Tensor>>();

  /** The state tensor `name` of `key`, zeros of [T, ...shape] the first time; checked against the gradient's shape. */
  protected stateTensor(name: string, key: string, gradient: tf.Tensor): tf.Tensor {
    let byKey = this.tensors.get(name);
    if (byKey === undefined) {
      byKey = new Map();
      this.tensors.set(name, byKey);
    }
    const expected = [this.tasks.length, ...gradient.shape];
    let tensor = byKey.get(key);
    if (tensor === undefined) {
      tensor = tf.zeros(expected);
      byKey.set(key, tensor);
    } else if (tensor.shape.join(',') !== expected.join(',')) {
      throw new Error(
        `${this.method}.useTaskGradients: its state for parameter '${key}' has shape [${tensor.shape}], the gradients need [${expected}]; was it saved for another model?`,
      );
    }
    return tensor;
  }

  /** Replaces a state tensor, freeing the old one. */
  protected setStateTensor(name: string, key: string, tensor: tf.Tensor): void {
    const byKey = this.tensors.get(name) as Map<string, tf.Tensor>;
    byKey.get(key)?.dispose();
    byKey.set(key, tf.keep(tensor));
  }

  /** The gradients of one parameter stacked as [T, ...shape] (a new tensor). */
  protected stacked(jacobian: TaskJacobian, key: string): tf.Tensor {
    return tf.stack(jacobian.maps.map((map) => map[key] as tf.Tensor));
  }

  protected override methodState(): StateData {
    const tensors: { [name: string]: JsonValue } = {};
    for (const name of this.stateNames) {
      const byKey = this.tensors.get(name) ?? new Map<string, tf.Tensor>();
      tensors[name] = Object.fromEntries(
        [...byKey].map(([key, tensor]) => [key, encodeTensor(tensor) as unknown as JsonValue]),
      );
    }
    return { ...this.numberState(), tensors };
  }

  protected override restoreMethodState(data: StateData, where: string): void {
    const tensors = data.tensors;
    if (typeof tensors !== 'object' || tensors === null || Array.isArray(tensors)) {
      throw new Error(`${where}: state.data.tensors must be an object`);
    }
    const restored = new Map<string, Map<string, tf.Tensor>>();
    try {
      for (const name of this.stateNames) {
        const byKey = tensors[name];
        if (typeof byKey !== 'object' || byKey === null || Array.isArray(byKey)) {
          throw new Error(`${where}: state.data.tensors.${name} must be an object`);
        }
        const map = new Map<string, tf.Tensor>();
        restored.set(name, map);
        for (const [key, value] of Object.entries(byKey)) {
          const tensor = decodeTensor(value, `${where}: state.data.tensors.${name}.${key}`);
          map.set(key, tensor);
          if (tensor.shape[0] !== this.tasks.length) {
            throw new Error(
              `${where}: state.data.tensors.${name}.${key} has ${tensor.shape[0]} rows, not one per task`,
            );
          }
        }
      }
      this.restoreNumberState(data, where);
    } catch (error) {
      for (const map of restored.values()) tf.dispose([...map.values()]);
      throw error;
    }
    this.disposeTensors();
    for (const [name, map] of restored) this.tensors.set(name, map);
  }

  /** The method's plain-number state (steps, weights). */
  protected abstract numberState(): StateData;
  protected abstract restoreNumberState(data: StateData, where: string): void;

  private disposeTensors(): void {
    for (const map of this.tensors.values()) tf.dispose([...map.values()]);
    this.tensors.clear();
  }

  override dispose(): void {
    this.disposeTensors();
  }
}
