import type { MediaClip } from '@mtl/media';
import { type Manifest, type ManifestEntry, mediaPath, type TimeRange } from './manifest.js';

const sameRange = (a: TimeRange | undefined, b: TimeRange | undefined) => a?.start === b?.start && a?.end === b?.end;

/**
 * The clip `@mtl/media`'s `preprocess` reads for one manifest entry: media paths made
 * absolute against the manifest's root, the cut, the audio channel of the speaker and the
 * face box. When audio and video are cut differently (IEMOCAP's utterance WAV next to its
 * cut of the dialog video), the video's cut is the clip's and the audio keeps its own.
 */
export function toMediaClip(manifest: Pick<Manifest, 'root'>, entry: ManifestEntry): MediaClip {
  const { audio, video } = entry;
  if (audio === undefined && video === undefined) {
    throw new Error(`toMediaClip: entry '${entry.id}' has neither audio nor video`);
  }
  const range = video ? video.range : audio?.range;
  return {
    id: entry.id,
    ...(audio && { audioPath: mediaPath(manifest, audio) }),
    ...(video && { videoPath: mediaPath(manifest, video) }),
    ...(range && { start: range.start, end: range.end }),
    ...(audio && video && !sameRange(audio.range, video.range) && { audioRange: { ...audio.range } }),
    ...(audio?.channel !== undefined && { channel: audio.channel }),
    ...(video?.crop && { faceBox: { ...video.crop } }),
  };
}
