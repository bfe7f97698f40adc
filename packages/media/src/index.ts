export { samplesPerFrame } from '@mtl/common';
export {
  type AudioNormalization,
  type AudioStats,
  AudioStatsAccumulator,
  normalizeAudio,
} from './audio-normalization.js';
export {
  type CachedClipMeta,
  CacheEntryError,
  type CacheIndex,
  type CacheVerification,
  ClipCache,
  type IndexUpdate,
  type SourceIdentity,
} from './clip-cache.js';
export { type ClipTensorOptions, type ClipTensors, clipToTensors } from './clip-tensors.js';
export { type Box, type ColorMode, cropResize } from './crop-resize.js';
export { type DecodeAudioOptions, type DecodedAudio, decodeAudio } from './decode-audio.js';
export {
  type CropOptions,
  type DecodedVideo,
  type DecodeVideoOptions,
  decodeVideo,
  decodeVideoCuts,
  type FaceReport,
  type VideoCut,
} from './decode-video.js';
export {
  type DetectedFace,
  FACE_DETECTION_DEFAULTS,
  type FaceDetector,
  type FaceDetectorName,
  type FaceDetectorOptions,
  loadFaceDetector,
} from './face-detector.js';
export { buildFaceTrack, type FaceTrack, type FaceTrackOptions } from './face-track.js';
export { type FfmpegBinaries, type FfmpegSource, findFfmpeg } from './ffmpeg-binary.js';
export { audioFrameCount, type FrameRemainder, fitToFrames } from './frame-alignment.js';
export {
  type PreprocessFailure,
  type PreprocessProgress,
  type PreprocessResult,
  type PreprocessRunOptions,
  type PreprocessStatus,
  preprocess,
} from './preprocess.js';
export {
  type DecodeRuntime,
  type MediaClip,
  PAPER_PREPROCESSING,
  type PreprocessedClip,
  type PreprocessOptions,
  preprocessClip,
  preprocessClips,
  resolvePreprocessOptions,
} from './preprocess-clip.js';
export { type MediaInfo, probeMedia } from './probe-media.js';
export { type ResampleOptions, resample } from './resample.js';
export { type FfmpegResult, type RunFfmpegOptions, runFfmpeg } from './run-ffmpeg.js';
export { type DecodedWav, type DecodeWavOptions, decodeWav, looksLikeWav, readWavFile, type WavFormat } from './wav.js';
