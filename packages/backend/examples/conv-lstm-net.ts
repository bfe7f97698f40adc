import * as tf from '@tensorflow/tfjs-core';

/**
 * A small conv + LSTM sequence classifier written with plain tfjs-core ops, the shape
 * of the project's networks in miniature: a strided conv over the raw waveform, a 2-D
 * conv, max-pooling, an LSTM over frames and a softmax head. It exercises every kernel
 * that training such a network needs, so it is the backend's end-to-end check.
 */
export interface ConvLstmNet {
  variables: Record<string, tf.Variable>;
  /** Logits [batch, classes] for waveforms [batch, frames * samplesPerFrame, 1]. */
  apply(waveform: tf.Tensor3D): tf.Tensor2D;
  loss(waveform: tf.Tensor3D, labels: tf.Tensor1D): tf.Scalar;
}

export const NET_SHAPE = { frames: 6, samplesPerFrame: 32, classes: 3, hidden: 12 } as const;

export function createConvLstmNet(seed: number): ConvLstmNet {
  const { frames, samplesPerFrame, classes, hidden } = NET_SHAPE;
  const conv1 = 4;
  const conv2 = 6;
  const featuresPerFrame = (samplesPerFrame / 4 / 2) * conv2;
  let s = seed;
  const init = (name: string, shape: number[], fanIn: number) =>
    tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', s++), true, `${name}_${seed}_${s}`);
  const variables = {
    conv1: init('conv1', [9, 1, conv1], 9) as tf.Variable<tf.Rank.R3>,
    conv2: init('conv2', [3, 3, conv1, conv2], 9 * conv1) as tf.Variable<tf.Rank.R4>,
    lstmKernel: init('lstmKernel', [featuresPerFrame + hidden, 4 * hidden], featuresPerFrame + hidden),
    lstmBias: tf.variable(tf.zeros([4 * hidden]), true, `lstmBias_${seed}`),
    head: init('head', [hidden, classes], hidden),
    headBias: tf.variable(tf.zeros([classes]), true, `headBias_${seed}`),
  };

  const apply = (waveform: tf.Tensor3D): tf.Tensor2D =>
    tf.tidy(() => {
      const batch = waveform.shape[0];
      const a = tf.relu(tf.conv1d(waveform, variables.conv1, 4, 'same'));
      const grid = tf.reshape<tf.Rank.R4>(a, [batch, frames, samplesPerFrame / 4, conv1]);
      const b = tf.maxPool(tf.conv2d(grid, variables.conv2, [1, 1], 'same'), [1, 2], [1, 2], 'valid');
      const perFrame = tf.reshape(b, [batch, frames, featuresPerFrame]);
      let h: tf.Tensor2D = tf.zeros([batch, hidden]);
      let c: tf.Tensor2D = tf.zeros([batch, hidden]);
      for (const x of tf.unstack(perFrame, 1) as tf.Tensor2D[]) {
        const z = tf.add(tf.matMul(tf.concat([x, h], 1), variables.lstmKernel), variables.lstmBias);
        const [i, f, g, o] = tf.split(z, 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
        h = tf.mul(tf.sigmoid(o), tf.tanh(c));
      }
      return tf.add(tf.matMul(h, variables.head), variables.headBias);
    });

  const loss = (waveform: tf.Tensor3D, labels: tf.Tensor1D): tf.Scalar =>
    tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, classes), apply(waveform)) as tf.Scalar);

  return { variables, apply, loss };
}

/** Sine bursts whose class is their frequency band, with noise: learnable, not trivial. */
export function makeBatch(size: number, seed: number): { waveform: tf.Tensor3D; labels: tf.Tensor1D } {
  const { frames, samplesPerFrame, classes } = NET_SHAPE;
  const length = frames * samplesPerFrame;
  const values = new Float32Array(size * length);
  const labels = new Int32Array(size);
  let state = seed >>> 0;
  const rand = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  for (let n = 0; n < size; n++) {
    const label = Math.floor(rand() * classes);
    labels[n] = label;
    const cyclesPerSample = 0.02 + 0.09 * label + 0.02 * rand();
    const phase = rand() * 2 * Math.PI;
    for (let t = 0; t < length; t++) {
      values[n * length + t] = Math.sin(2 * Math.PI * cyclesPerSample * t + phase) + 0.3 * (rand() * 2 - 1);
    }
  }
  return { waveform: tf.tensor3d(values, [size, length, 1]), labels: tf.tensor1d(labels, 'int32') };
}
