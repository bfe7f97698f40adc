import { basename, extname } from 'node:path';
import { listFilesDeep } from './corpus-files.js';
import { RAVDESS_LABELS } from './label-maps.js';
import type { AudioSource, Manifest, VideoSource } from './manifest.js';
import { CorpusError, type LoadOptions, ManifestBuilder, requireCorpusRoot } from './manifest-builder.js';

export interface RavdessOptions extends LoadOptions {
  /** Which vocal channels to load: 'speech' (default) and/or 'song'. */
  vocalChannels?: ('speech' | 'song')[];
}

type SevenFields = [string, string, string, string, string, string, string];
const FILE_NAME = /^(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$/;
const NEUTRAL = '01';
const STRONG = '02';

interface TrialFiles {
  id: string;
  fields: { channel: string; emotion: string; intensity: string; statement: string; repetition: string; actor: number };
  /** modality code ('01' audio-video, '02' video-only, '03' audio-only) -> relative path */
  files: Map<string, string>;
}

function codeProblem(table: Record<string, string>, code: string, field: string): string | undefined {
  return Object.hasOwn(table, code)
    ? undefined
    : `unknown ${field} code '${code}' (known: ${Object.keys(table).join(', ')})`;
}

/**
 * Reads RAVDESS from any folder holding its files (Audio_Speech_Actors_01-24/Actor_NN/*.wav,
 * Video_Speech_Actor_NN/Actor_NN/*.mp4, ...): each 7-field file name is parsed, and the
 * audio-video, video-only and audio-only files of one trial are paired into one clip.
 * Audio comes from the audio-only WAV when present, else from the audio-video MP4; video
 * from the audio-video MP4, else the video-only one.
 */
export async function loadRavdess(root: string, options: RavdessOptions = {}): Promise<Manifest> {
  await requireCorpusRoot(root);
  const builder = new ManifestBuilder('ravdess', root, options);
  const channels = options.vocalChannels ?? ['speech'];
  const channelNames = Object.values(RAVDESS_LABELS.vocalChannels);
  if (channels.length === 0 || channels.some((c) => !channelNames.includes(c))) {
    throw new Error(
      `option vocalChannels: expected a non-empty list of ${channelNames.join(', ')}, got ${JSON.stringify(channels)}`,
    );
  }
  const mediaFiles = (await listFilesDeep(builder.root)).filter((p) =>
    ['.wav', '.mp4'].includes(extname(p).toLowerCase()),
  );
  if (mediaFiles.length === 0) throw new CorpusError(builder.root, 'no .wav or .mp4 files: not a RAVDESS folder');

  const trials = new Map<string, TrialFiles>();
  for (const path of mediaFiles) {
    const extension = extname(path).toLowerCase();
    const match = FILE_NAME.exec(basename(path, extname(path)));
    if (!match) {
      builder.skip(
        'malformed-name',
        path,
        'not a RAVDESS file name (expected 7 two-digit fields, e.g. 03-01-06-01-02-01-12)',
      );
      continue;
    }
    const [modality, channel, emotion, intensity, statement, repetition, actorCode] = match.slice(1) as SevenFields;
    const actor = Number(actorCode);
    const problem =
      codeProblem(RAVDESS_LABELS.modalities, modality, 'modality') ??
      codeProblem(RAVDESS_LABELS.vocalChannels, channel, 'vocal channel') ??
      codeProblem(RAVDESS_LABELS.codes, emotion, 'emotion') ??
      codeProblem(RAVDESS_LABELS.intensities, intensity, 'intensity') ??
      codeProblem(RAVDESS_LABELS.statements, statement, 'statement') ??
      codeProblem(RAVDESS_LABELS.repetitions, repetition, 'repetition') ??
      (actor >= 1 && actor <= RAVDESS_LABELS.actors
        ? undefined
        : `unknown actor '${actorCode}' (expected 01-${RAVDESS_LABELS.actors})`) ??
      (emotion === NEUTRAL && intensity === STRONG ? 'neutral has no strong intensity in RAVDESS' : undefined) ??
      ((modality === '03') !== (extension === '.wav')
        ? `modality '${modality}' does not match the ${extension} extension`
        : undefined);
    if (problem) {
      builder.skip('unknown-code', path, problem);
      continue;
    }
    if (!channels.includes(RAVDESS_LABELS.vocalChannels[channel as '01'] as 'speech')) continue;
    const id = `${channel}-${emotion}-${intensity}-${statement}-${repetition}-${actorCode}`;
    let trial = trials.get(id);
    if (!trial) {
      trial = { id, fields: { channel, emotion, intensity, statement, repetition, actor }, files: new Map() };
      trials.set(id, trial);
    }
    if (trial.files.has(modality)) {
      builder.skip(
        'malformed-name',
        path,
        `a second file for trial ${id}, modality ${modality}; the first (${trial.files.get(modality)}) is kept`,
        id,
      );
      continue;
    }
    trial.files.set(modality, path);
  }

  for (const trial of [...trials.values()].sort((a, b) => a.id.localeCompare(b.id))) {
    const { id, fields, files } = trial;
    const anyFile = files.values().next().value as string;
    // First usable file among the candidates, in order of preference.
    const pick = async (modalities: string[]) => {
      for (const m of modalities) {
        const path = files.get(m);
        if (path && (await builder.usableMedia(path, id))) return path;
      }
      return undefined;
    };
    let audio: AudioSource | undefined;
    let video: VideoSource | undefined;
    if (builder.modalities.has('audio')) {
      const path = await pick(['03', '01']);
      if (!path) {
        builder.skip(
          'incomplete',
          anyFile,
          'no usable audio for this trial (neither an audio-only WAV nor an audio-video MP4)',
          id,
        );
        continue;
      }
      audio = { path };
    }
    if (builder.modalities.has('video')) {
      const path = await pick(['01', '02']);
      if (!path) {
        builder.skip(
          'incomplete',
          anyFile,
          'no usable video for this trial (neither an audio-video nor a video-only MP4)',
          id,
        );
        continue;
      }
      video = { path };
    }
    // After the media checks, so a bad file (a Git LFS stub) is reported whatever the map leaves out.
    const emotion = builder.emotion(fields.emotion, anyFile, id);
    if (!emotion) continue;
    builder.add({
      id,
      speaker: `Actor_${String(fields.actor).padStart(2, '0')}`,
      gender: fields.actor % 2 === 1 ? 'male' : 'female',
      emotion,
      ...(audio ? { audio } : {}),
      ...(video ? { video } : {}),
      attributes: {
        vocalChannel: RAVDESS_LABELS.vocalChannels[fields.channel as '01'],
        intensity: RAVDESS_LABELS.intensities[fields.intensity as '01'],
        statement: Number(fields.statement),
        repetition: Number(fields.repetition),
        actor: fields.actor,
      },
    });
  }
  return builder.finish();
}
