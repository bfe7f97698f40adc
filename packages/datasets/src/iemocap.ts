import { join } from 'node:path';
import { isDirectory, listFolder, readLines } from './corpus-files.js';
import { IEMOCAP_LABELS } from './label-maps.js';
import type { AudioSource, Gender, Manifest, VideoSource } from './manifest.js';
import { CorpusError, type LoadOptions, ManifestBuilder, requireCorpusRoot } from './manifest-builder.js';

export interface IemocapOptions extends LoadOptions {
  /**
   * 'sentences' (default): the per-utterance files in SessionN/sentences/wav.
   * 'dialog-video': the dialog video's audio track, the speaker's channel, cut to the utterance.
   */
  audioSource?: 'sentences' | 'dialog-video';
  /** 'paper': the paper's fixed 224x224 speaker box per gender; 'none' (default): the whole frame. */
  crop?: 'none' | 'paper';
  /** Leave out utterances longer than this many seconds (the paper drops those over 8 s). */
  maxDuration?: number;
}

const LABEL_LINE = /^\[\s*(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\s*\]\s+(\S+)\s+(\S+)\s+\[([^\]]*)\]\s*$/;
// Ses01F_script01_1_M012: the letter after the session number says who wore the markers;
// the speaker's gender is the first letter of the last part.
const UTTERANCE_ID = /^Ses0([1-5])[FM]_(.+)_([FM])\d+$/;
const GENDER_LETTER: Record<string, Gender> = { F: 'female', M: 'male' };

/** Finds the folder holding Session1-5: the given one or an IEMOCAP_full_release inside it. */
async function sessionsRoot(root: string): Promise<string> {
  for (const candidate of [root, join(root, 'IEMOCAP_full_release')]) {
    const names = await listFolder(candidate);
    if (names.some((n) => /^Session[1-5]$/.test(n))) return candidate;
  }
  throw new CorpusError(
    root,
    'no Session1..Session5 folders here or in IEMOCAP_full_release/: not an IEMOCAP release folder',
  );
}

/**
 * Reads IEMOCAP as released: labels from SessionN/dialog/EmoEvaluation/*.txt, audio from
 * sentences/wav (or the dialog video), video from dialog/avi/DivX cut by each utterance's
 * time range. Speakers are session + gender; bad lines and missing media are skipped with
 * their path and reason.
 */
export async function loadIemocap(root: string, options: IemocapOptions = {}): Promise<Manifest> {
  await requireCorpusRoot(root);
  const base = await sessionsRoot(root);
  const builder = new ManifestBuilder('iemocap', base, options);
  const audioSource = options.audioSource ?? 'sentences';
  if (audioSource !== 'sentences' && audioSource !== 'dialog-video') {
    throw new Error(`option audioSource: expected 'sentences' or 'dialog-video', got ${JSON.stringify(audioSource)}`);
  }
  const crop = options.crop ?? 'none';
  if (crop !== 'none' && crop !== 'paper')
    throw new Error(`option crop: expected 'none' or 'paper', got ${JSON.stringify(crop)}`);
  if (options.maxDuration !== undefined && !(options.maxDuration > 0)) {
    throw new Error(`option maxDuration: expected a positive number of seconds, got ${options.maxDuration}`);
  }
  const seen = new Set<string>();

  for (const session of (await listFolder(base)).filter((n) => /^Session[1-5]$/.test(n))) {
    const sessionNumber = session.slice(-1);
    const labelDir = join(session, 'dialog', 'EmoEvaluation');
    if (!(await isDirectory(join(base, labelDir)))) {
      builder.skip('missing-labels', labelDir, 'label folder is missing: no utterance of this session can be labelled');
      continue;
    }
    const labelFiles = (await listFolder(join(base, labelDir))).filter((n) => n.endsWith('.txt'));
    if (labelFiles.length === 0) {
      builder.skip('missing-labels', labelDir, 'no *.txt label files in the label folder');
      continue;
    }
    for (const file of labelFiles) {
      const labelPath = join(labelDir, file);
      const read = await readLines(join(base, labelPath));
      if ('error' in read) {
        builder.skip('missing-labels', labelPath, `label file ${read.error}: its dialog's utterances have no labels`);
        continue;
      }
      const labelLines = read.lines.filter((line) => line.trim().startsWith('['));
      if (labelLines.length === 0) {
        builder.skip(
          'malformed-labels',
          labelPath,
          "no label lines ('[start - end]<TAB>utterance<TAB>code<TAB>[V, A, D]') in the file: its dialog's utterances have no labels",
        );
        continue;
      }
      for (const [i, raw] of read.lines.entries()) {
        const line = raw.trim();
        if (!line.startsWith('[')) continue; // annotator lines (C-E1:, A-E2:), the header and blanks
        const where = `${labelPath}:${i + 1}`;
        const match = LABEL_LINE.exec(line);
        if (!match) {
          builder.skip(
            'malformed-labels',
            where,
            `malformed label line (expected '[start - end]<TAB>utterance<TAB>code<TAB>[V, A, D]'): ${JSON.stringify(line)}`,
          );
          continue;
        }
        const [, startText, endText, id, code, vad] = match as unknown as [
          string,
          string,
          string,
          string,
          string,
          string,
        ];
        const idMatch = UTTERANCE_ID.exec(id);
        if (!idMatch) {
          builder.skip(
            'malformed-labels',
            where,
            `malformed utterance id '${id}' (expected e.g. Ses01F_impro01_F000)`,
            id,
          );
          continue;
        }
        const [, idSession, dialogPart, genderLetter] = idMatch as unknown as [string, string, string, string];
        if (idSession !== sessionNumber) {
          builder.skip(
            'malformed-labels',
            where,
            `utterance '${id}' belongs to Session${idSession}, not ${session}`,
            id,
          );
          continue;
        }
        const start = Number(startText);
        const end = Number(endText);
        if (!(end > start)) {
          builder.skip('malformed-labels', where, `time range [${startText} - ${endText}] is empty or reversed`, id);
          continue;
        }
        if (seen.has(id)) {
          builder.skip('malformed-labels', where, `utterance '${id}' is labelled twice; the first label is kept`, id);
          continue;
        }
        seen.add(id);
        const emotion = builder.emotion(code, where, id);
        if (!emotion) continue;
        if (options.maxDuration !== undefined && end - start > options.maxDuration) {
          builder.exclude(`longer than ${options.maxDuration} s`);
          continue;
        }
        const gender = GENDER_LETTER[genderLetter] as Gender;
        const dialog = id.slice(0, id.lastIndexOf('_'));
        const timeRange = { start, end };
        const dialogVideo = join(session, 'dialog', 'avi', 'DivX', `${dialog}.avi`);
        let audio: AudioSource | undefined;
        let video: VideoSource | undefined;
        if (builder.modalities.has('audio')) {
          audio =
            audioSource === 'sentences'
              ? { path: join(session, 'sentences', 'wav', dialog, `${id}.wav`) }
              : { path: dialogVideo, channel: IEMOCAP_LABELS.speakerChannels[gender], range: timeRange };
        }
        if (builder.modalities.has('video')) {
          video = { path: dialogVideo, range: timeRange };
          if (crop === 'paper') video.crop = { ...IEMOCAP_LABELS.paperCropBoxes[gender] };
        }
        if (audio && !(await builder.usableMedia(audio.path, id))) continue;
        if (video && !(await builder.usableMedia(video.path, id))) continue;
        const [valence, arousal, dominance] = vad.split(',').map((v) => Number(v.trim()));
        builder.add({
          id,
          speaker: `Ses0${sessionNumber}_${genderLetter}`,
          session,
          gender,
          emotion,
          ...(audio ? { audio } : {}),
          ...(video ? { video } : {}),
          timeRange,
          attributes: {
            dialog,
            kind: dialogPart.startsWith('script') ? 'scripted' : 'improvised',
            ...(Number.isFinite(valence) ? { valence: valence as number } : {}),
            ...(Number.isFinite(arousal) ? { arousal: arousal as number } : {}),
            ...(Number.isFinite(dominance) ? { dominance: dominance as number } : {}),
          },
        });
      }
    }
  }
  return builder.finish();
}
