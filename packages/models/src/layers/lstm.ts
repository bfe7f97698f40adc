import { hasLstmRecurrence, lstmRecurrence } from '@mtl/backend';
import * as tf from '@tensorflow/tfjs-core';
import { blockwise, glorotUniform, orthogonal } from '../initializers.js';
import { type Lengths, readLengths } from '../lengths.js';
import type { Scope } from '../variable-store.js';

export interface LSTMOptions {
  units: number;
  /** Stacked layers; each reads the previous layer's output sequence. Default 1. */
  layers?: number;
}

export interface LSTMOutput {
  /** Output of the top layer at every step, zero at padded steps: [batch, steps, units]. */
  sequence: tf.Tensor3D;
  /** Output of the top layer at each clip's last valid step: [batch, units]. */
  last: tf.Tensor2D;
}

/** Gate order along the fused 4 * units axis (PyTorch's): input, forget, cell, output. */
const GATES = 4;

/** Bias zero except the forget gate at 1, so that early training keeps memory (Jozefowicz et al. 2015). */
function lstmBias(units: number) {
  return () => {
    const values = new Float32Array(GATES * units);
    values.fill(1, units, 2 * units);
    return values;
  };
}

/** One LSTM layer with fused gates: inputKernel [in, 4u], recurrentKernel [u, 4u], bias [4u]. */
export class LSTMLayer {
  readonly inputKernel: tf.Variable;
  readonly recurrentKernel: tf.Variable;
  readonly bias: tf.Variable;

  constructor(
    scope: Scope,
    readonly inputUnits: number,
    readonly units: number,
  ) {
    this.inputKernel = scope.variable('inputKernel', [inputUnits, GATES * units], glorotUniform());
    this.recurrentKernel = scope.variable('recurrentKernel', [units, GATES * units], blockwise(orthogonal(), GATES));
    this.bias = scope.variable('bias', [GATES * units], lstmBias(units));
  }

  /**
   * Runs over [batch, steps, inputUnits]. The inputs of all steps are projected in one
   * matmul; the recurrence (see `recurrence` below) runs as far as the longest clip. It is
   * causal, so a clip's outputs up to its length never depend on its padding: outputs
   * past each length are zeroed afterwards and each clip's last valid output gathered.
   */
  apply(x: tf.Tensor3D, clipLengths: Lengths): LSTMOutput {
    const [batch, steps, inputs] = x.shape;
    if (inputs !== this.inputUnits) throw new Error(`LSTM: expected ${this.inputUnits} input units, got ${inputs}`);
    const lengths = readLengths(clipLengths, batch, steps, 'LSTM');
    const units = this.units;
    const longest = Math.max(...lengths);
    const projected = tf.reshape(
      tf.fused.matMul({
        a: tf.reshape(x, [batch * steps, inputs]) as tf.Tensor2D,
        b: this.inputKernel as tf.Tensor2D,
        bias: this.bias,
      }),
      [batch, steps, GATES * units],
    );
    const run = longest === steps ? projected : tf.slice(projected, [0, 0, 0], [batch, longest, GATES * units]);
    // One fused kernel where the backend has it (wasm, cpu), else the recurrence below.
    const computed = (hasLstmRecurrence() ? lstmRecurrence : recurrence)(
      run as tf.Tensor3D,
      this.recurrentKernel as tf.Tensor2D,
    ) as tf.Tensor3D;
    if (lengths.every((length) => length === steps)) {
      return {
        sequence: computed,
        last: tf.reshape(tf.slice(computed, [0, steps - 1, 0], [batch, 1, units]), [batch, units]),
      };
    }
    const full = longest === steps ? computed : tf.concat([computed, tf.zeros([batch, steps - longest, units])], 1);
    const valid = new Float32Array(batch * steps);
    lengths.forEach((length, clip) => {
      valid.fill(1, clip * steps, clip * steps + length);
    });
    const sequence = tf.mul(full, tf.tensor3d(valid, [batch, steps, 1])) as tf.Tensor3D;
    const lastRows = tf.tensor1d(
      lengths.map((length, clip) => clip * steps + length - 1),
      'int32',
    );
    return { sequence, last: tf.gather(tf.reshape(sequence, [batch * steps, units]), lastRows) as tf.Tensor2D };
  }
}

/**
 * The recurrence of one layer, op by op, for backends without `lstmRecurrence`'s kernel
 * (tfjs-node): projected inputs [batch, steps, 4u] (x W + b) and the
 * recurrent kernel [u, 4u] -> outputs h [batch, steps, u], from zero state. Its gradient
 * is written out (backpropagation through time with the per-step factors precomputed
 * for all steps at once), so a step costs 7 ops backwards instead of the ~30 that
 * differentiating the cell op by op takes.
 */
const recurrence = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [projected, kernel, save] = args as [tf.Tensor3D, tf.Tensor2D, tf.GradSaveFunc];
  const [batch, steps, gates] = projected.shape;
  const units = gates / GATES;
  const stepInputs = tf.unstack(projected, 1) as tf.Tensor2D[];
  let h: tf.Tensor2D = tf.zeros([batch, units]);
  let c: tf.Tensor2D = tf.zeros([batch, units]);
  const trace = {
    i: [] as tf.Tensor[],
    f: [] as tf.Tensor[],
    g: [] as tf.Tensor[],
    o: [] as tf.Tensor[],
    c: [] as tf.Tensor[],
    h: [] as tf.Tensor[],
  };
  for (let t = 0; t < steps; t++) {
    const z = tf.add(stepInputs[t]!, tf.matMul(h, kernel));
    const [zi, zf, zg, zo] = tf.split(z, GATES, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const i = tf.sigmoid(zi);
    const f = tf.sigmoid(zf);
    const g = tf.tanh(zg);
    const o = tf.sigmoid(zo);
    c = tf.add(tf.mul(f, c), tf.mul(i, g));
    h = tf.mul(o, tf.tanh(c));
    trace.i.push(i);
    trace.f.push(f);
    trace.g.push(g);
    trace.o.push(o);
    trace.c.push(c);
    trace.h.push(h);
  }
  const [gi, gf, gg, go, cs, hs] = [trace.i, trace.f, trace.g, trace.o, trace.c, trace.h].map((list) =>
    tf.stack(list, 1),
  );
  save([gi!, gf!, gg!, go!, cs!, hs!, kernel]);

  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
    const [i, f, g, o, cAll, hAll, w] = saved as [
      tf.Tensor3D,
      tf.Tensor3D,
      tf.Tensor3D,
      tf.Tensor3D,
      tf.Tensor3D,
      tf.Tensor3D,
      tf.Tensor2D,
    ];
    const zerosStep = tf.zeros([batch, 1, units]);
    const previous = (all: tf.Tensor3D) =>
      tf.concat([zerosStep, tf.slice(all, [0, 0, 0], [batch, steps - 1, units])], 1);
    const tanhC = tf.tanh(cAll);
    // dL/dc_t picks up dh_t * o_t * (1 - tanh(c_t)^2) from the output.
    const outputToCell = tf.mul(o, tf.sub(1, tf.square(tanhC)));
    // dz_t = [dc, dc, dc, dh]_t * factors_t, gate by gate: i, f, g, o.
    const factors = tf.concat(
      [
        tf.mul(g, tf.mul(i, tf.sub(1, i))),
        tf.mul(previous(cAll), tf.mul(f, tf.sub(1, f))),
        tf.mul(i, tf.sub(1, tf.square(g))),
        tf.mul(tanhC, tf.mul(o, tf.sub(1, o))),
      ],
      2,
    );
    const [dySteps, factorSteps, outputToCellSteps, forgetSteps] = [dy, factors, outputToCell, f].map(
      (all) => tf.unstack(all, 1) as tf.Tensor2D[],
    ) as [tf.Tensor2D[], tf.Tensor2D[], tf.Tensor2D[], tf.Tensor2D[]];
    const dz: tf.Tensor[] = new Array(steps);
    let dh: tf.Tensor | undefined;
    let dc: tf.Tensor | undefined;
    for (let t = steps - 1; t >= 0; t--) {
      const dhT = dh === undefined ? dySteps[t]! : tf.add(dySteps[t]!, dh);
      const fromOutput = tf.mul(dhT, outputToCellSteps[t]!);
      const dcT = dc === undefined ? fromOutput : tf.add(dc, fromOutput);
      dz[t] = tf.mul(tf.concat([dcT, dcT, dcT, dhT], 1), factorSteps[t]!);
      dc = tf.mul(dcT, forgetSteps[t]!);
      dh = tf.matMul(dz[t]!, w, false, true);
    }
    const dProjected = tf.stack(dz, 1);
    const dKernel = tf.matMul(
      tf.reshape(previous(hAll), [batch * steps, units]),
      tf.reshape(dProjected, [batch * steps, gates]),
      true,
      false,
    );
    return [dProjected, dKernel];
  };
  return { value: hs as tf.Tensor3D, gradFunc };
});

/** Stacked LSTM layers under `layer0`, `layer1`, ... */
export class LSTM {
  readonly layers: LSTMLayer[];

  constructor(scope: Scope, inputUnits: number, options: LSTMOptions) {
    const count = options.layers ?? 1;
    this.layers = Array.from(
      { length: count },
      (_, i) => new LSTMLayer(scope.child(`layer${i}`), i === 0 ? inputUnits : options.units, options.units),
    );
  }

  apply(x: tf.Tensor3D, lengths: Lengths): LSTMOutput {
    let output: LSTMOutput | undefined;
    let input = x;
    for (const layer of this.layers) {
      output = layer.apply(input, lengths);
      input = output.sequence;
    }
    return output!;
  }
}
