import { basename, extname, join } from 'node:path';
import { listFolder, readLines } from './corpus-files.js';
import { CREMA_D_LABELS } from './label-maps.js';
import type { AudioSource, Gender, Manifest, VideoSource } from './manifest.js';
import { CorpusError, type LoadOptions, ManifestBuilder, requireCorpusRoot } from './manifest-builder.js';

export interface CremaDOptions extends LoadOptions {
  /** Also load the clips listed as broken upstream (default false: they are skipped with the reason). */
  includeBrokenClips?: boolean;
}

const CLIP_NAME = /^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})$/;
const DEMOGRAPHICS = 'VideoDemographics.csv';
const AUDIO_FOLDERS = ['AudioWAV'];
const VIDEO_FOLDERS = ['VideoFlash', 'VideoMP4'];
const VIDEO_EXTENSIONS = ['.flv', '.mp4'];

/** Actor id -> gender from VideoDemographics.csv; unreadable rows are skipped with their line. */
async function readDemographics(builder: ManifestBuilder): Promise<Map<string, Gender>> {
  const read = await readLines(join(builder.root, DEMOGRAPHICS));
  if ('error' in read)
    throw new CorpusError(
      join(builder.root, DEMOGRAPHICS),
      `the demographics file ${read.error}: it gives every actor's gender, so nothing can be loaded without it`,
    );
  const { lines } = read;
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().replace(/^"|"$/g, ''));
  const actorColumn = header.indexOf('ActorID');
  const sexColumn = header.indexOf('Sex');
  if (actorColumn < 0 || sexColumn < 0) {
    throw new CorpusError(
      join(builder.root, DEMOGRAPHICS),
      `expected ActorID and Sex columns, found ${JSON.stringify(header)}`,
    );
  }
  const genders = new Map<string, Gender>();
  for (const [i, line] of lines.entries()) {
    if (i === 0 || line.trim() === '') continue;
    const cells = line.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
    const actor = cells[actorColumn] ?? '';
    const gender = (CREMA_D_LABELS.sexes as Record<string, Gender>)[cells[sexColumn] ?? ''];
    if (!/^\d{4}$/.test(actor) || !gender) {
      builder.skip(
        'malformed-labels',
        `${DEMOGRAPHICS}:${i + 1}`,
        `malformed row (expected a 4-digit ActorID and Sex Male or Female): ${JSON.stringify(line)}`,
      );
      continue;
    }
    genders.set(actor, gender);
  }
  return genders;
}

/** Clip name -> relative path of its file in the given folders with the given extensions. */
async function clipFiles(
  builder: ManifestBuilder,
  folders: string[],
  extensions: string[],
): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const folder of folders) {
    for (const name of await listFolder(join(builder.root, folder))) {
      const extension = extname(name).toLowerCase();
      if (!extensions.includes(extension)) continue;
      const clip = basename(name, extname(name));
      if (!files.has(clip)) files.set(clip, join(folder, name));
    }
  }
  return files;
}

/**
 * Reads CREMA-D as published: AudioWAV/*.wav and VideoFlash/*.flv (or VideoMP4/*.mp4) named
 * ActorID_Sentence_Emotion_Level, paired by name, with each actor's gender from
 * VideoDemographics.csv. The clips known to be broken upstream are skipped with the reason.
 */
export async function loadCremaD(root: string, options: CremaDOptions = {}): Promise<Manifest> {
  await requireCorpusRoot(root);
  const builder = new ManifestBuilder('crema-d', root, options);
  const genders = await readDemographics(builder);
  const audioFiles = await clipFiles(builder, AUDIO_FOLDERS, ['.wav']);
  const videoFiles = await clipFiles(builder, VIDEO_FOLDERS, VIDEO_EXTENSIONS);
  // Where a missing video should have been: the folder (and format) this copy of the corpus uses.
  const videoFolder =
    (await listFolder(builder.root)).includes('VideoMP4') && !(await listFolder(builder.root)).includes('VideoFlash')
      ? { folder: 'VideoMP4', extension: '.mp4' }
      : { folder: 'VideoFlash', extension: '.flv' };
  if (audioFiles.size === 0 && videoFiles.size === 0) {
    throw new CorpusError(
      builder.root,
      `no clips in ${[...AUDIO_FOLDERS, ...VIDEO_FOLDERS].join(' or ')}: not a CREMA-D folder`,
    );
  }
  const broken = CREMA_D_LABELS.brokenClips as Record<string, string>;
  const clips = [...new Set([...audioFiles.keys(), ...videoFiles.keys()])].sort();

  for (const clip of clips) {
    const audioPath = audioFiles.get(clip);
    const videoPath = videoFiles.get(clip);
    const anyPath = (audioPath ?? videoPath) as string;
    const match = CLIP_NAME.exec(clip);
    if (!match) {
      builder.skip(
        'malformed-name',
        anyPath,
        'not a CREMA-D clip name (expected ActorID_Sentence_Emotion_Level, e.g. 1001_DFA_ANG_XX)',
      );
      continue;
    }
    const [, actor, sentence, code, level] = match as unknown as [string, string, string, string, string];
    if (!Object.hasOwn(CREMA_D_LABELS.sentences, sentence)) {
      builder.skip('unknown-code', anyPath, `unknown sentence code '${sentence}'`, clip);
      continue;
    }
    if (!Object.hasOwn(CREMA_D_LABELS.levels, level)) {
      builder.skip(
        'unknown-code',
        anyPath,
        `unknown emotion level '${level}' (known: ${Object.keys(CREMA_D_LABELS.levels).join(', ')})`,
        clip,
      );
      continue;
    }
    const gender = genders.get(actor);
    if (!gender) {
      builder.skip(
        'unknown-speaker',
        anyPath,
        `actor ${actor} is not in ${DEMOGRAPHICS}, so the clip's gender is unknown`,
        clip,
      );
      continue;
    }
    if (Object.hasOwn(broken, clip) && !options.includeBrokenClips) {
      builder.skip('known-broken', anyPath, broken[clip] as string, clip);
      continue;
    }
    // Media before the emotion map: a file that is no media (a Git LFS stub of a clone
    // without `git lfs pull`) is reported whatever map leaves its clip out.
    let audio: AudioSource | undefined;
    let video: VideoSource | undefined;
    if (builder.modalities.has('audio')) {
      if (!audioPath) {
        builder.skip(
          'incomplete',
          join(AUDIO_FOLDERS[0] as string, `${clip}.wav`),
          'media file is missing (the clip has video but no audio)',
          clip,
        );
        continue;
      }
      if (!(await builder.usableMedia(audioPath, clip))) continue;
      audio = { path: audioPath };
    }
    if (builder.modalities.has('video')) {
      if (!videoPath) {
        builder.skip(
          'incomplete',
          join(videoFolder.folder, `${clip}${videoFolder.extension}`),
          'media file is missing (the clip has audio but no video)',
          clip,
        );
        continue;
      }
      if (!(await builder.usableMedia(videoPath, clip))) continue;
      video = { path: videoPath };
    }
    const emotion = builder.emotion(code, anyPath, clip);
    if (!emotion) continue;
    builder.add({
      id: clip,
      speaker: actor,
      gender,
      emotion,
      ...(audio ? { audio } : {}),
      ...(video ? { video } : {}),
      attributes: {
        sentence,
        level: CREMA_D_LABELS.levels[level as 'XX'],
      },
    });
  }
  return builder.finish();
}
