import type { FaceEncoderName } from './config.js';

/**
 * What each frozen face encoder is, statically: enough to build configs and cost reports
 * without loading `@vladmandic/face-api`. The layer shapes below restate the nets that
 * face-api 1.7 runs (tests check the counts against the weights it ships).
 */
export interface FaceEncoderSpec {
  /** The face-api class whose weights run: its `model/<weightsName>-weights_manifest.json`. */
  faceApiNet: 'FaceRecognitionNet' | 'FaceExpressionNet';
  weightsName: string;
  /** Frames are resized (bilinear) to inputSize x inputSize RGB before the net. */
  inputSize: number;
  /** Features per frame fed to the fusion LSTM. */
  features: number;
  /** Frozen weights the encoder uses. */
  parameters: number;
  /** Multiply-adds per frame of its convolutions and matmuls. */
  macsPerFrame: number;
}

interface Tally {
  parameters: number;
  macs: number;
}

/** A k x k conv from `inC` to `outC` channels producing an `out` x `out` map, with bias. */
function conv(tally: Tally, k: number, inC: number, outC: number, out: number): void {
  tally.parameters += k * k * inC * outC + outC;
  tally.macs += out * out * k * k * inC * outC;
}

/** A 3x3 depthwise then 1x1 pointwise conv producing an `out` x `out` map, with bias. */
function separableConv(tally: Tally, inC: number, outC: number, out: number): void {
  tally.parameters += 9 * inC + inC * outC + outC;
  tally.macs += out * out * (9 * inC + inC * outC);
}

/**
 * dlib's face recognition ResNet at 150x150: a 7x7 stride-2 'valid' conv (72x72), a 3x3
 * stride-2 max pool (35x35), residual stages of 3x3 convs at 32, 64, 128 and 256 channels
 * (down-sampling convs are stride-2 'valid'), global mean, 256 -> 128 matmul. Each conv
 * carries a bias and a per-channel scale and shift.
 */
function faceRecognitionCost(): Tally {
  const tally = { parameters: 0, macs: 0 };
  const scaled = (k: number, inC: number, outC: number, out: number) => {
    conv(tally, k, inC, outC, out);
    tally.parameters += 2 * outC;
  };
  const residual = (c: number, size: number, blocks: number) => {
    for (let b = 0; b < 2 * blocks; b++) scaled(3, c, c, size);
  };
  const residualDown = (inC: number, outC: number, out: number) => {
    scaled(3, inC, outC, out);
    scaled(3, outC, outC, out);
  };
  scaled(7, 3, 32, 72);
  residual(32, 35, 3);
  residualDown(32, 64, 17);
  residual(64, 17, 3);
  residualDown(64, 128, 8);
  residual(128, 8, 2);
  residualDown(128, 256, 3);
  residual(256, 4, 2); // the shortcut's 4x4 average pool sets the size; the 3x3 branch is zero-padded
  residualDown(256, 256, 1);
  tally.parameters += 256 * 128;
  tally.macs += 256 * 128;
  return tally;
}

/**
 * FaceExpressionNet's feature extractor at 112x112: four dense blocks (a stride-2 conv, then
 * three separable convs whose inputs sum the block's earlier outputs) at 32, 64, 128 and 256
 * channels, the first conv a plain 3x3, then a 7x7 average pool to 1x1x256. Its 256 -> 7
 * classifier is not used: the LSTM reads the 256 features.
 */
function faceExpressionCost(): Tally {
  const tally = { parameters: 0, macs: 0 };
  let inC = 3;
  let size = 112;
  [32, 64, 128, 256].forEach((c, block) => {
    size /= 2;
    if (block === 0) conv(tally, 3, inC, c, size);
    else separableConv(tally, inC, c, size);
    for (let i = 0; i < 3; i++) separableConv(tally, c, c, size);
    inC = c;
  });
  return tally;
}

function spec(
  faceApiNet: FaceEncoderSpec['faceApiNet'],
  weightsName: string,
  inputSize: number,
  features: number,
  cost: Tally,
): FaceEncoderSpec {
  return { faceApiNet, weightsName, inputSize, features, parameters: cost.parameters, macsPerFrame: cost.macs };
}

export const FACE_ENCODERS: Readonly<Record<FaceEncoderName, FaceEncoderSpec>> = {
  'face-recognition': spec('FaceRecognitionNet', 'face_recognition_model', 150, 128, faceRecognitionCost()),
  'face-expression': spec('FaceExpressionNet', 'face_expression_model', 112, 256, faceExpressionCost()),
};
