import { basename, resolve } from 'node:path';
import { type Box, decodeVideo, type MediaClip, type MediaInfo, probeMedia } from '@mtl/media';
import { type Prediction, predict, readRunConfig } from '@mtl/training';
import { defineCommand } from '../command.js';
import { CliError, EXIT } from '../errors.js';
import { choice, flag, path, required } from '../option-types.js';
import { runOptions } from '../train-options.js';
import { startBackend } from './train.js';

interface FileProblem {
  file: string;
  reason: string;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/**
 * The speaker's face box in a new video, by face detection over its first seconds (the
 * median of the detected boxes, whole pixels inside the frame); undefined when no frame has a face.
 */
async function detectFaceBox(file: string, info: MediaInfo): Promise<Box | undefined> {
  const video = await decodeVideo(file, {
    fps: 5,
    size: 32,
    maxSeconds: 6,
    crop: { mode: 'detect', detector: 'tiny' },
  });
  if (!video.face || video.face.detectedSamples === 0) return undefined;
  const { width, height } = info.video!;
  const boxes = video.face.boxes;
  const side = Math.max(1, Math.round(Math.min(median(boxes.map((b) => b.width)), width, height)));
  const x = Math.min(Math.max(0, Math.round(median(boxes.map((b) => b.x)))), width - side);
  const y = Math.min(Math.max(0, Math.round(median(boxes.map((b) => b.y)))), height - side);
  return { x, y, width: side, height: side };
}

export const predictCommand = defineCommand({
  name: 'predict',
  summary: "emotion and gender of new audio or video files, with a run's model",
  description: `Runs a trained run's model on files it never saw: any container ffmpeg reads (wav, mp3, mp4,
avi, mkv, flv, webm, ...). Each file is preprocessed exactly as the run's training clips were
(sample rate, frame rate, frame size, the training split's audio statistics). Faces: a run trained
on whole frames (the synthetic corpus) sees whole frames; a run trained on face crops gets the
face found by detection, and a file with no detectable face is reported as such.`,
  argument: { name: 'files', doc: 'audio or video files', variadic: true },
  options: {
    run: required(
      path('the run folder', { value: 'DIR' }),
      'a run folder written by `mtl-trainer train`, e.g. --run runs/<id>',
    ),
    checkpoint: choice('which checkpoint', ['best', 'last'] as const, { default: 'best' }),
    backend: runOptions.backend,
    threads: runOptions.threads,
    json: flag('print the predictions as JSON'),
  },
  examples: [
    ['mtl-trainer predict --run runs/<id> clip.mp4', 'emotion and gender of one video'],
    ['mtl-trainer predict --run runs/<id> --json *.wav', 'many audio files, as JSON (an audio or multi run)'],
  ],
  async run(options, context) {
    const runDir = resolve(options.run);
    const config = await readRunConfig(runDir).catch((error: Error) => {
      throw new CliError(
        `${options.run} is not a run folder (${error.message}); pass --run a folder written by \`mtl-trainer train\``,
        EXIT.usage,
      );
    });
    const modal = config.model.modal;
    const crop = (config.preprocessing as { video?: { crop?: { mode?: string } } | false }).video;
    const wholeFrames = !crop || crop.crop?.mode === 'full';
    await startBackend(options, context.log);
    const problems: FileProblem[] = [];
    const clips: MediaClip[] = [];
    const fileOf = new Map<string, string>();
    for (const [i, file] of context.args.entries()) {
      const path = resolve(file);
      let info: MediaInfo;
      try {
        info = await probeMedia(path);
      } catch (error) {
        problems.push({ file, reason: (error as Error).message });
        continue;
      }
      if (modal !== 'video' && !info.audio) {
        problems.push({ file, reason: `has no audio stream; this run's model (${modal}) needs one` });
        continue;
      }
      if (crop && !info.video) {
        // @mtl/training's predict applies the run's preprocessing whole, and it caches video when the corpus had it.
        problems.push({
          file,
          reason: `has no video stream; this run's preprocessing reads video too (its corpus had it), so give a file with both streams`,
        });
        continue;
      }
      if (modal !== 'audio' && !info.video) {
        problems.push({ file, reason: `has no video stream; this run's model (${modal}) needs one` });
        continue;
      }
      const id = `${i + 1}-${basename(file)}`;
      const clip: MediaClip = {
        id,
        ...(info.audio && { audioPath: path }),
        ...(info.video && crop && { videoPath: path }),
      };
      if (crop && !wholeFrames) {
        const box = await detectFaceBox(path, info);
        if (!box) {
          problems.push({
            file,
            reason: `no face found in its first 6 s (face detection at 5 frames/s); this run's model reads face crops, so it cannot judge this video`,
          });
          continue;
        }
        clip.faceBox = box;
      }
      clips.push(clip);
      fileOf.set(id, file);
    }
    let predictions: Prediction[] = [];
    if (clips.length > 0) {
      const result = await predict(runDir, clips, { checkpoint: options.checkpoint, workers: 0 }).catch(
        (error: Error) => {
          throw new CliError(`${options.run}: ${error.message}`, EXIT.failed);
        },
      );
      predictions = result.predictions;
      for (const f of result.failed) problems.push({ file: fileOf.get(f.id) ?? f.id, reason: f.reason });
    }
    const rows = predictions.map((p) => ({
      file: fileOf.get(p.clipId) ?? p.clipId,
      predicted: p.predicted,
      probabilities: p.probabilities,
    }));
    context.print({ run: runDir, modal, predictions: rows, failed: problems }, () => {
      const lines: string[] = [];
      for (const row of rows) {
        lines.push(row.file);
        for (const [task, probabilities] of Object.entries(row.probabilities)) {
          const ranked = Object.entries(probabilities).sort((a, b) => b[1] - a[1]);
          lines.push(`  ${task.padEnd(8)} ${ranked.map(([name, p]) => `${name} ${(p * 100).toFixed(1)}%`).join('  ')}`);
        }
      }
      for (const p of problems) lines.push(`${p.file}: ${p.reason}`);
      return lines.join('\n');
    });
    return rows.length === 0 ? EXIT.failed : problems.length > 0 ? EXIT.partial : EXIT.ok;
  },
});
