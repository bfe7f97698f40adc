// Seconds of media preprocessed per second of wall time (x real time), through `preprocess`
// with one worker process per core, as a corpus would run: utterance cuts of 6 s taken from
// long dialog recordings, like IEMOCAP. Media is encoded here by ffmpeg; nothing is downloaded.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
// The built package (bench runs `tsup` first), so worker processes run plain JavaScript as
// they do for users; TypeScript still checks this file against the sources.
import { type MediaClip, PAPER_PREPROCESSING, type PreprocessRunOptions, preprocess, runFfmpeg } from '@mtl/media';

const CLIP_SECONDS = 6;
const DIALOG_SECONDS = 60;
const cores = availableParallelism();
const dir = mkdtempSync(join(tmpdir(), 'mtl-media-bench-'));
const ffmpeg = (args: string[]) => runFfmpeg(['-loglevel', 'error', '-y', ...args]);
const X264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'];

async function makeMedia() {
  const tones = `aevalsrc=0.3*sin(2*PI*220*t*(1+0.1*sin(t)))|0.3*sin(2*PI*330*t):s=48000:d=${DIALOG_SECONDS}`;
  const wav = join(dir, 'dialog.wav');
  await ffmpeg(['-f', 'lavfi', '-i', tones, '-c:a', 'pcm_s16le', wav]);
  // IEMOCAP-like: 720x480 two-person frame at 30 fps with 48 kHz stereo audio.
  const av = join(dir, 'dialog.mp4');
  const video = `testsrc2=s=720x480:r=30:d=${DIALOG_SECONDS}`;
  await ffmpeg(['-f', 'lavfi', '-i', video, '-f', 'lavfi', '-i', tones, ...X264, '-c:a', 'aac', av]);
  // Faces for the detector: face-api's sample photos, each panned across for 2 s.
  const demo = join(dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo');
  const faces = join(dir, 'faces.mp4');
  const inputs = [1, 2, 3, 4, 5, 6].flatMap((n) => [
    '-loop',
    '1',
    '-framerate',
    '30',
    '-t',
    '2',
    '-i',
    join(demo, `sample${n}.jpg`),
  ]);
  const pan = [0, 1, 2, 3, 4, 5].map((n) => `[${n}]scale=960:640,crop=640:480:'80+40*t':80,setsar=1[v${n}]`).join(';');
  const concat = `${pan};${[0, 1, 2, 3, 4, 5].map((n) => `[v${n}]`).join('')}concat=n=6:v=1:a=0[v]`;
  await ffmpeg(
    [
      ...inputs,
      '-f',
      'lavfi',
      '-i',
      `sine=d=12:sample_rate=48000`,
      '-filter_complex',
      concat,
      '-map',
      '[v]',
      '-map',
      '6:a',
    ].concat([...X264, '-c:a', 'aac', '-shortest', faces]),
  );
  return { wav, av, faces };
}

const cuts = (total: number, make: (start: number, i: number) => MediaClip) =>
  Array.from({ length: Math.floor(total / CLIP_SECONDS) }, (_, i) => make(i * CLIP_SECONDS, i));

/**
 * CPU seconds used by this process and its finished children (workers, and the ffmpeg they
 * ran): on a shared machine this shows the cost that wall time hides. Linux only.
 */
function cpuSeconds(): number | undefined {
  if (!existsSync('/proc/self/stat')) return undefined;
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // utime, stime, cutime, cstime: fields 14-17 of stat(5), in clock ticks (100 a second on Linux).
  return fields.slice(11, 15).reduce((sum, ticks) => sum + Number(ticks), 0) / 100;
}

async function measure(name: string, manifest: MediaClip[], options: Omit<PreprocessRunOptions, 'cacheDir'>) {
  const cacheDir = join(dir, `cache-${name.replace(/\W+/g, '-')}`);
  const started = performance.now();
  const cpuBefore = cpuSeconds();
  const result = await preprocess(manifest, { cacheDir, log: false, ...options });
  const wall = (performance.now() - started) / 1000;
  const cpu = cpuBefore === undefined ? undefined : cpuSeconds()! - cpuBefore;
  if (result.failed.length > 0) throw new Error(`${name}: ${JSON.stringify(result.failed)}`);
  const media = result.succeeded.reduce((s, c) => s + c.meta.frameCount / c.meta.fps, 0);
  const resumeStarted = performance.now();
  await preprocess(manifest, { cacheDir, log: false, ...options });
  const resume = (performance.now() - resumeStarted) / 1000;
  console.log(
    `${name.padEnd(34)} ${media.toFixed(0).padStart(5)} s media  ${wall.toFixed(2).padStart(6)} s wall  ` +
      `${(media / wall).toFixed(1).padStart(6)}x real time  ` +
      (cpu === undefined
        ? ''
        : `${cpu.toFixed(1).padStart(6)} CPU s = ${((cores * media) / cpu).toFixed(1)}x on ${cores} idle cores  `) +
      `(cached rerun ${resume.toFixed(2)} s)`,
  );
}

try {
  console.log(
    `@mtl/media bench: ${cores} cores, one worker process per core, paper settings, load ${loadavg()[0]!.toFixed(1)}`,
  );
  const media = await makeMedia();
  const box = { x: 360, y: 128, width: 224, height: 224 };
  const workers = cores;
  await measure(
    'audio only (48 kHz WAV -> 16 kHz)',
    cuts(DIALOG_SECONDS, (start, i) => ({
      id: `a${i}`,
      audioPath: media.wav,
      channel: 1,
      start,
      end: start + CLIP_SECONDS,
    })),
    { workers, video: false },
  );
  await measure(
    'audio + video, fixed crop',
    cuts(DIALOG_SECONDS, (start, i) => ({
      id: `v${i}`,
      videoPath: media.av,
      channel: 0,
      start,
      end: start + CLIP_SECONDS,
      faceBox: box,
    })),
    { workers, ...PAPER_PREPROCESSING },
  );
  await measure(
    'audio + video, face detection',
    cuts(12, (start, i) => ({ id: `f${i}`, videoPath: media.faces, start, end: start + CLIP_SECONDS })),
    {
      workers,
      ...PAPER_PREPROCESSING,
      video: { ...(PAPER_PREPROCESSING.video as object), crop: { mode: 'detect' } } as PreprocessRunOptions['video'],
    },
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
