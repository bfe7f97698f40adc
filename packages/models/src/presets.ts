import {
  type CnnVideoConfig,
  type Modal,
  type ModelConfig,
  type TaskSpec,
  VIDEO_ENCODERS,
  type VideoEncoderName,
  type VideoNetConfig,
} from './config.js';
import { FACE_ENCODERS } from './face-encoders.js';

export type PresetName = 'paper' | 'compact';

export interface PresetOptions {
  modal: Modal;
  /** From the dataset, e.g. [{ name: 'emotion', classes: 4 }, { name: 'gender', classes: 2 }]. */
  tasks: TaskSpec[];
  seed?: number;
  /**
   * Default `cnn`: the preset's ResNet, trained from scratch. `face-recognition` or
   * `face-expression` use that frozen face-api net instead, at its input size (150 or 112
   * pixels: frames of that size need no resizing).
   */
  videoEncoder?: VideoEncoderName;
}

/**
 * `paper`: the sizes of Chae et al. 2018 (PAPER.md): 16 kHz, 25 frames/s (640 samples per
 * frame), AudioNet conv 1->40 k80, pool 2, conv 40->40 k4000, channel pool 10 (1280
 * features per frame), ResNet-50 on 96x96 RGB frames (2048 features), 2-layer LSTM of
 * 256 units, dropout 0.5. GPU work. As the reference code: no activation after the
 * waveform convs, their even kernels padded 40/39 and 2000/1999, stride-2 ResNet convs
 * and the stem pool padded symmetrically, unbiased running variance in batch norm.
 *
 * `compact`: the same structure sized for 2 CPU cores on wasm: 10 frames/s, strided
 * waveform convs (1600 samples -> 25 steps x 8 channels = 200 features per frame), a
 * small ResNet (stem + max pool, two basic blocks) on 32x32 frames (32 features), 2-layer
 * LSTM of 64 units, dropout 0.3; ReLU after the waveform convs, TensorFlow's 'same'
 * padding, biased running variance.
 *
 * `videoEncoder` swaps either preset's ResNet for a frozen face-api net (see PresetOptions).
 */
export function presetConfig(name: PresetName, options: PresetOptions): ModelConfig {
  const encoder = options.videoEncoder ?? 'cnn';
  if (!VIDEO_ENCODERS.includes(encoder)) {
    throw new Error(`presetConfig: unknown videoEncoder '${encoder}'; valid: ${VIDEO_ENCODERS.join(', ')}`);
  }
  const base = { modal: options.modal, tasks: options.tasks.map((task) => ({ ...task })), seed: options.seed ?? 0 };
  const video = (cnn: Omit<CnnVideoConfig, 'encoder'>): VideoNetConfig =>
    encoder === 'cnn' ? { encoder, ...cnn } : { encoder, frameSize: FACE_ENCODERS[encoder].inputSize, channels: 3 };
  switch (name) {
    case 'paper':
      return {
        preset: 'paper',
        ...base,
        fps: 25,
        audio: {
          sampleRate: 16000,
          layers: [
            { filters: 40, kernel: 80, stride: 1, pool: 2 },
            { filters: 40, kernel: 4000, stride: 1, pool: 1 },
          ],
          channelPool: 10,
          // As the reference code: no activation after the waveform convs; the extra pad sample first.
          activation: 'linear',
          padding: 'torch',
        },
        video: video({
          frameSize: 96,
          channels: 3,
          stem: { filters: 64, kernel: 7, stride: 2, maxPool: true },
          block: 'bottleneck',
          stages: [
            { blocks: 3, filters: 64, stride: 1 },
            { blocks: 4, filters: 128, stride: 2 },
            { blocks: 6, filters: 256, stride: 2 },
            { blocks: 3, filters: 512, stride: 2 },
          ],
          // As torchvision's ResNet-50: k/2 padding on strided convs, unbiased running variance.
          stridePadding: 'symmetric',
          runningVariance: 'unbiased',
        }),
        fusion: { lstmUnits: 256, lstmLayers: 2, dropout: 0.5 },
      };
    case 'compact':
      return {
        preset: 'compact',
        ...base,
        fps: 10,
        audio: {
          sampleRate: 16000,
          layers: [
            { filters: 8, kernel: 32, stride: 8, pool: 2 },
            { filters: 16, kernel: 32, stride: 4, pool: 1 },
          ],
          channelPool: 2,
          // The choices compact was sized and tested with.
          activation: 'relu',
          padding: 'tf',
        },
        video: video({
          frameSize: 32,
          channels: 3,
          stem: { filters: 8, kernel: 3, stride: 2, maxPool: true },
          block: 'basic',
          stages: [
            { blocks: 1, filters: 16, stride: 1 },
            { blocks: 1, filters: 32, stride: 2 },
          ],
          stridePadding: 'same',
          runningVariance: 'biased',
        }),
        fusion: { lstmUnits: 64, lstmLayers: 2, dropout: 0.3 },
      };
    default:
      throw new Error(`presetConfig: unknown preset '${name as string}'; valid: paper, compact`);
  }
}
