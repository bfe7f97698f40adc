import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFfmpeg } from '../src/index.js';

/** A temporary folder for media encoded during a test file; `remove()` deletes it. */
export function mediaDir(label: string) {
  const dir = mkdtempSync(join(tmpdir(), `mtl-media-${label}-`));
  return { path: (name: string) => join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }), dir };
}

/** Encodes with ffmpeg: `inputs` are lavfi graphs (synthetic sources), `output` the file. */
export async function encode(inputs: string[], outputArgs: string[], output: string): Promise<string> {
  const args = inputs.flatMap((graph) => ['-f', 'lavfi', '-i', graph]);
  await runFfmpeg(['-loglevel', 'error', '-y', ...args, ...outputArgs, output]);
  return output;
}

/** Stereo test audio: 440 Hz at 0.5 on the left, 1 kHz at 0.25 on the right. */
export const STEREO_TONES = (rate: number, seconds: number) =>
  `aevalsrc=0.5*sin(2*PI*440*t)|0.25*sin(2*PI*1000*t):s=${rate}:d=${seconds}`;

export const left = (t: number) => 0.5 * Math.sin(2 * Math.PI * 440 * t);
export const right = (t: number) => 0.25 * Math.sin(2 * Math.PI * 1000 * t);

/** Largest absolute difference between samples and a function of time. */
export function maxError(samples: Float32Array, rate: number, f: (t: number) => number, offset = 0): number {
  let worst = 0;
  for (let i = 0; i < samples.length; i++) worst = Math.max(worst, Math.abs(samples[i]! - f((i + offset) / rate)));
  return worst;
}

/** Frequency of a pure tone from its rate of zero crossings. */
export function toneFrequency(samples: Float32Array, rate: number): number {
  let crossings = 0;
  for (let i = 1; i < samples.length; i++) if (samples[i - 1]! < 0 !== samples[i]! < 0) crossings++;
  return (crossings / 2) * (rate / samples.length);
}

/** Root mean square level in dB, skipping the filter's edges. */
export function rmsDb(samples: Float32Array, skip: number): number {
  let sum = 0;
  for (let i = skip; i < samples.length - skip; i++) sum += samples[i]! ** 2;
  return 10 * Math.log10(sum / (samples.length - 2 * skip));
}
