import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { generateSyntheticCorpus, type SyntheticCorpus } from '@mtl/datasets';
import { defineCommand } from '../command.js';
import { usageError } from '../errors.js';
import { decimal, flag, integer, path, required } from '../option-types.js';
import type { ProgressFactory } from '../progress.js';

const EMOTIONS = 4;

export const synthOptions = {
  out: required(
    path('folder to write the corpus into (created if needed)', { value: 'DIR' }),
    'where to write the corpus, e.g. --out data/synthetic',
  ),
  speakers: integer('speakers, genders alternating (an even number keeps them balanced)', { default: 8, min: 2 }),
  clipsPerSpeaker: integer(`clips per speaker, a multiple of ${EMOTIONS} (one per emotion per repetition)`, {
    default: 12,
    min: EMOTIONS,
  }),
  duration: decimal('mean clip length in seconds (each clip varies by up to +-20%)', { default: 2, min: 0.5, max: 30 }),
  seed: integer('same seed, same corpus (bit for bit)', { default: 1 }),
  audioOnly: flag('write the WAVs and labels only (no video, no ffmpeg)'),
  json: flag('print the result as JSON'),
};

async function countFiles(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return entries.filter((name) => name.endsWith('.wav') || name.endsWith('.mp4')).length;
}

/** Writes the corpus, with a bar fed by the files appearing on disk (the generator has no callback). */
export async function synthesize(
  options: {
    out: string;
    speakers: number;
    clipsPerSpeaker: number;
    duration: number;
    seed: number;
    audioOnly?: boolean;
  },
  progress: ProgressFactory,
): Promise<SyntheticCorpus> {
  if (options.clipsPerSpeaker % EMOTIONS !== 0) {
    throw usageError(
      `--clips-per-speaker must be a multiple of ${EMOTIONS} (each speaker records every emotion equally often), got ${options.clipsPerSpeaker}`,
    );
  }
  const root = resolve(options.out);
  const clips = options.speakers * options.clipsPerSpeaker;
  const bar = progress('synth', clips * (options.audioOnly ? 1 : 2));
  const timer = setInterval(async () => bar.update(await countFiles(root), { status: 'wav + mp4 files' }), 500);
  try {
    return await generateSyntheticCorpus({
      root,
      seed: options.seed,
      speakers: options.speakers,
      clipsPerEmotion: options.clipsPerSpeaker / EMOTIONS,
      duration: options.duration,
      video: !options.audioOnly,
    });
  } finally {
    clearInterval(timer);
    bar.update(await countFiles(root));
    bar.stop();
  }
}

export const synthCommand = defineCommand({
  name: 'synth',
  summary: 'write the synthetic audio-visual corpus (speech-like audio + rendered faces)',
  description: `Writes a synthetic audio-visual emotion corpus: speech-like audio whose voice follows the
speaker's gender and whose prosody follows the emotion, and rendered face video whose expression
follows the emotion and whose mouth moves with the audio. Speakers are disjoint across the
standard folds. It is synthetic: scores on it show the pipeline works, nothing about real emotion.`,
  options: synthOptions,
  examples: [
    ['mtl-trainer synth --out data/synthetic', 'the default corpus: 8 speakers x 12 clips of about 2 s'],
    ['mtl-trainer synth --out data/big --speakers 16 --clips-per-speaker 24 --seed 7', 'a larger one'],
  ],
  async run(options, context) {
    const started = performance.now();
    const corpus = await synthesize(options, context.progress);
    const seconds = (performance.now() - started) / 1000;
    const result = {
      root: corpus.root,
      speakers: corpus.speakers.length,
      clips: corpus.clips.length,
      seconds: corpus.clips.reduce((sum, clip) => sum + clip.duration, 0),
      wallSeconds: seconds,
    };
    context.print(
      result,
      () =>
        `wrote ${result.clips} clips (${result.speakers} speakers, ${result.seconds.toFixed(0)} s of media) to ${result.root} in ${seconds.toFixed(1)} s\n` +
        `next: mtl-trainer prepare --root ${result.root} --out ${join(result.root, '..', 'prepared')}`,
    );
    return undefined;
  },
});
