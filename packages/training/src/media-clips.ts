import { type Manifest, type ManifestEntry, mediaPath } from '@mtl/datasets';
import type { MediaClip } from '@mtl/media';

/** A manifest entry as the clip `@mtl/media` preprocesses: absolute paths, cut range, channel, crop. */
export function toMediaClip(manifest: Pick<Manifest, 'root'>, entry: ManifestEntry): MediaClip {
  const range = entry.video?.range ?? entry.audio?.range;
  return {
    id: entry.id,
    ...(entry.audio && { audioPath: mediaPath(manifest, entry.audio) }),
    ...(entry.video && { videoPath: mediaPath(manifest, entry.video) }),
    ...(range && { start: range.start, end: range.end }),
    ...(entry.audio?.channel !== undefined && { channel: entry.audio.channel }),
    ...(entry.video?.crop && { faceBox: entry.video.crop }),
  };
}
