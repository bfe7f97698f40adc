import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFaceTrack, decodeVideo, loadFaceDetector, runFfmpeg } from '../src/index.js';
import { encode, mediaDir } from './media-fixtures.js';

const dir = mediaDir('face');
afterAll(() => dir.remove());

const samplePhoto = (n: number) =>
  join(dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo', `sample${n}.jpg`);

/** The pan of the test video: its 240x240 window starts at x = 476 + 40 t in the 960x640 photo. */
const PAN_VIDEO = "scale=960:640,crop=240:240:'476+40*t':98,format=yuv420p";
const panOffset = (t: number) => 476 + 40 * t;

let faceVideo: string;
beforeAll(async () => {
  faceVideo = dir.path('pan.mp4');
  const still = ['-loop', '1', '-framerate', '25', '-i', samplePhoto(6), '-t', '1'];
  await runFfmpeg([
    '-loglevel',
    'error',
    '-y',
    ...still,
    '-vf',
    PAN_VIDEO,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    faceVideo,
  ]);
});

const rgbAt = (frames: Uint8Array, i: number, size: number) =>
  frames.subarray(i * size * size * 3, (i + 1) * size * size * 3);

describe('face detection crop', () => {
  it('tracks a moving face with a steady box, and leaks no tensor', async () => {
    // Ground truth: the face as SSD sees it in the whole photo, moved by the known pan.
    const ssd = await loadFaceDetector('ssd');
    const photo = await runFfmpeg([
      '-i',
      samplePhoto(6),
      '-vf',
      'scale=960:640',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ]);
    const truth = (await ssd.detect(photo.stdout, 960, 640)).find(
      (f) => Math.abs(f.box.x + f.box.width / 2 - 616) < 40,
    )!;
    expect(truth.score).toBeGreaterThan(0.9);
    const truthCentre = (t: number) => ({
      x: truth.box.x + truth.box.width / 2 - panOffset(t),
      y: truth.box.y + truth.box.height / 2 - 98,
    });

    const options = { size: 128, crop: { mode: 'detect', detectFps: 5, margin: 0.25, minScore: 0.3 } } as const;
    await decodeVideo(faceVideo, options); // the first call loads the model weights, which stay
    const before = tf.memory().numTensors;
    const video = await decodeVideo(faceVideo, options);
    expect(tf.memory().numTensors).toBe(before);
    expect(video.frameCount).toBe(25);
    expect(video.face).toMatchObject({ detector: 'tiny', samples: 5, fallback: false });
    expect(video.face!.detectedSamples).toBeGreaterThanOrEqual(3);
    expect(video.warnings).toEqual([]);
    const faceSize = Math.max(truth.box.width, truth.box.height);
    video.face!.boxes.forEach((box, i) => {
      const want = truthCentre(i / 25);
      // The pan moves the face 40 px (a third of its size), so a box that did not follow fails.
      expect(Math.abs(box.x + box.width / 2 - want.x)).toBeLessThan(0.15 * faceSize);
      // TinyFaceDetector's boxes sit lower than SSD's (they take in the chin): a wider margin.
      expect(Math.abs(box.y + box.height / 2 - want.y)).toBeLessThan(0.25 * faceSize);
      expect(box.width / (1.5 * faceSize)).toBeGreaterThan(0.75);
      expect(box.width / (1.5 * faceSize)).toBeLessThan(1.33);
    });
    // And the crops hold a face near their centre.
    for (const i of [0, 12, 24]) {
      const [face] = await ssd.detect(rgbAt(video.frames, i, 128), 128, 128);
      expect(face!.score).toBeGreaterThan(0.5);
      expect(Math.abs(face!.box.x + face!.box.width / 2 - 64)).toBeLessThan(20);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('falls back to a centred square, and says so, when there is no face', async () => {
    const noFace = await encode(
      ['testsrc=s=160x120:r=25:d=0.4'],
      ['-c:v', 'libx264', '-preset', 'ultrafast'],
      dir.path('noface.mp4'),
    );
    const video = await decodeVideo(noFace, { size: 32, color: 'grey', crop: { mode: 'detect', detectFps: 10 } });
    expect(video.face).toMatchObject({ fallback: true, detectedSamples: 0, samples: 4 });
    expect(video.face!.boxes[0]).toEqual({ x: 20, y: 0, width: 120, height: 120 });
    expect(video.warnings).toEqual([
      `${noFace}: no face found in 4 detection frames; cropped a centred square instead`,
    ]);
    expect(video.frames.length).toBe(10 * 32 * 32);
  });

  it('finds the faces of a group photo with the SSD detector too', async () => {
    const { stdout } = await runFfmpeg([
      '-i',
      samplePhoto(3),
      '-vf',
      'scale=480:320',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ]);
    const ssd = await loadFaceDetector('ssd', { minScore: 0.6 });
    const faces = await ssd.detect(stdout, 480, 320);
    expect(faces.length).toBeGreaterThanOrEqual(2);
    expect(faces[0]!.score).toBeGreaterThan(0.9);
    await expect(ssd.detect(stdout.subarray(10), 480, 320)).rejects.toThrow('FaceDetector.detect: frame holds');
    await expect(loadFaceDetector('tiny', { inputSize: 100 })).rejects.toThrow(
      'inputSize must be a positive multiple of 32',
    );
  });
});

describe('buildFaceTrack', () => {
  const face = (x: number, y: number, side = 20) => ({ score: 0.9, box: { x, y, width: side, height: side } });

  it('follows the face nearest the track, smooths, interpolates, and keeps to the region', () => {
    const samples = [
      { time: 0, faces: [face(10, 10), face(100, 100, 30)] }, // largest first: the one at 100
      { time: 0.2, faces: [face(10, 10, 40), face(110, 100, 30)] }, // nearest to the track, not largest
      { time: 0.4, faces: [] },
      { time: 0.6, faces: [face(130, 100, 30)] },
    ];
    const track = buildFaceTrack(samples, { width: 200, height: 200 }, { margin: 0.5, smoothingSeconds: 0 });
    expect(track).toMatchObject({ detectedSamples: 3, samples: 4, fallback: false });
    expect(track.boxAt(0)).toEqual({ x: 115 - 30, y: 115 - 30, width: 60, height: 60 });
    expect(track.boxAt(0.4).x).toBeCloseTo((125 + 145) / 2 - 30, 6); // halfway between 0.2 s and 0.6 s
    expect(track.boxAt(9).x).toBe(145 - 30);
    const smoothed = buildFaceTrack(samples, { width: 200, height: 200 }, { margin: 0, smoothingSeconds: 0.4 });
    expect(smoothed.boxAt(0.2).x + 15).toBeCloseTo((115 + 125) / 2, 6); // 0 s and 0.2 s within the window of 0.2 s
    const region = { x: 0, y: 0, width: 60, height: 60 };
    const left = buildFaceTrack(samples, { width: 200, height: 200 }, { margin: 0, smoothingSeconds: 0, region });
    expect(left.boxAt(0)).toEqual({ x: 10, y: 10, width: 20, height: 20 });
    const none = buildFaceTrack([{ time: 0, faces: [] }], { width: 200, height: 100 }, { region });
    expect([none.fallback, none.boxAt(1)]).toEqual([true, region]);
  });
});
