export { samplesPerFrame } from '@mtl/common';
export {
  type AudioNormalization,
  type AudioStats,
  AudioStatsAccumulator,
  normalizeAudio,
} from './audio/audio-normalization.js';
export { type DecodeAudioOptions, type DecodedAudio, decodeAudio } from './audio/decode-audio.js';
export { type ResampleOptions, resample } from './audio/resample.js';
export {
  type DecodedWav,
  type DecodeWavOptions,
  decodeWav,
  looksLikeWav,
  readWavFile,
  type WavFormat,
} from './audio/wav.js';
export {
  type CachedClipMeta,
  CacheEntryError,
  type CacheIndex,
  type CacheVerification,
  ClipCache,
  type IndexUpdate,
  type SourceIdentity,
} from './cache/clip-cache.js';
export { type FfmpegBinaries, type FfmpegSource, findFfmpeg } from './ffmpeg/ffmpeg-binary.js';
export { type MediaInfo, probeMedia } from './ffmpeg/probe-media.js';
export { type FfmpegResult, type RunFfmpegOptions, runFfmpeg } from './ffmpeg/run-ffmpeg.js';
export {
  type DecodeRuntime,
  type MediaClip,
  PAPER_PREPROCESSING,
  type PreprocessedClip,
  type PreprocessOptions,
  resolvePreprocessOptions,
} from './preprocess/clip-options.js';
export { type ClipTensorOptions, type ClipTensors, clipToTensors } from './preprocess/clip-tensors.js';
export { audioFrameCount, type FrameRemainder, fitToFrames } from './preprocess/frame-alignment.js';
export {
  type PreprocessFailure,
  type PreprocessProgress,
  type PreprocessResult,
  type PreprocessRunOptions,
  type PreprocessStatus,
  preprocess,
} from './preprocess/preprocess.js';
export { preprocessClip, preprocessClips } from './preprocess/preprocess-clip.js';
export { type Box, type ColorMode, cropResize } from './video/crop-resize.js';
export { decodeVideoCuts } from './video/decode-cuts.js';
export { decodeVideo } from './video/decode-video.js';
export {
  type DetectedFace,
  FACE_DETECTION_DEFAULTS,
  type FaceDetector,
  type FaceDetectorName,
  type FaceDetectorOptions,
  loadFaceDetector,
} from './video/face-detector.js';
export { buildFaceTrack, type FaceTrack, type FaceTrackOptions } from './video/face-track.js';
export type { CropOptions, DecodedVideo, DecodeVideoOptions, FaceReport, VideoCut } from './video/options.js';
