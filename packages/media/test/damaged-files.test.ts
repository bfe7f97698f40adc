import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudio, decodeVideo, preprocess, preprocessClip, probeMedia } from '../src/index.js';
import { encode, mediaDir, STEREO_TONES } from './media-fixtures.js';

const dir = mediaDir('damaged');
afterAll(() => dir.remove());

let wav: string;
let faststart: string;
let moovLast: string;
beforeAll(async () => {
  wav = await encode([STEREO_TONES(16000, 1)], ['-c:a', 'pcm_s16le'], dir.path('whole.wav'));
  const av = ['testsrc=s=64x48:r=25:d=2', STEREO_TONES(16000, 2)];
  const h264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '5', '-c:a', 'aac'];
  faststart = await encode(av, [...h264, '-movflags', '+faststart'], dir.path('faststart.mp4'));
  moovLast = await encode(av, h264, dir.path('moov-last.mp4'));
});

/** Bytes read by this process through read(2) so far (Linux), cached pages included. */
function bytesRead(): number | undefined {
  try {
    return Number(/rchar: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
}

describe('damaged and odd media files', () => {
  it('warns on the clip when a WAV header promises more audio than the file holds', async () => {
    const cut = dir.path('cut-off.wav');
    const bytes = readFileSync(wav);
    const dataOffset = bytes.indexOf('data') + 8;
    writeFileSync(cut, bytes.subarray(0, dataOffset + 4 * 16000 * 0.6)); // 0.6 s of the 1 s promised
    const decoded = await decodeAudio(cut, { sampleRate: 16000 });
    expect(decoded.samples).toHaveLength(0.6 * 16000);
    expect(decoded.warnings).toEqual([
      `${cut}: the WAV header promises more audio than the file holds: the recording looks cut off after 0.600 s`,
    ]);
    const clip = await preprocessClip({ id: 'cut', audioPath: cut }, { video: false });
    expect(clip.warnings).toEqual(decoded.warnings);
    const lines: string[] = [];
    const result = await preprocess([{ id: 'cut', audioPath: cut }], {
      cacheDir: dir.path('cache'),
      workers: 0,
      video: false,
      log: (line) => lines.push(line),
    });
    expect(result.succeeded[0]!.meta.warnings).toEqual(decoded.warnings);
    expect(lines).toContain(`preprocess: warning: ${decoded.warnings[0]}`);
    expect((await decodeAudio(wav)).warnings).toEqual([]);
  });

  it('says a cut-off MP4 looks truncated, instead of "has no video stream" or a bare decode error', async () => {
    const size = readFileSync(moovLast).length;
    const noIndex = dir.path('no-index.mp4');
    writeFileSync(noIndex, readFileSync(moovLast).subarray(0, Math.floor(size * 0.7)));
    await expect(probeMedia(noIndex)).rejects.toThrow(
      /looks truncated: its 'mdat' box at byte \d+ needs \d+ bytes, but the file ends/,
    );
    await expect(decodeVideo(noIndex, { size: 16 })).rejects.toThrow('looks truncated');

    // The index first (faststart), the frames cut off: it probes, and decodes what is there, with a warning.
    const halfFrames = dir.path('half-frames.mp4');
    writeFileSync(halfFrames, readFileSync(faststart).subarray(0, Math.floor(size * 0.6)));
    const info = await probeMedia(halfFrames);
    expect(info.truncated).toMatch(/^its 'mdat' box at byte \d+ needs \d+ bytes, but the file ends \d+ bytes into it$/);
    const video = await decodeVideo(halfFrames, { size: 16, fps: 25 });
    expect(video.frameCount).toBeLessThan(50);
    expect(video.warnings).toEqual([
      `${halfFrames}: the file looks truncated (${info.truncated}): frames past the cut-off are missing`,
    ]);
    expect((await probeMedia(faststart)).truncated).toBeUndefined();
    expect((await probeMedia(moovLast)).truncated).toBeUndefined();
  });

  it('says a folder named like a clip is a folder, not that there is no such file', async () => {
    const folder = dir.path('Ses01F_impro01.wav');
    mkdirSync(folder);
    await expect(decodeAudio(folder)).rejects.toThrow(`decodeAudio: ${folder}: is a directory, not a media file`);
    await expect(probeMedia(folder)).rejects.toThrow(`probeMedia: ${folder}: is a directory, not a media file`);
    await expect(decodeVideo(folder)).rejects.toThrow('is a directory, not a media file');
  });

  it('reads only the cut of a long WAV: a 6 s cut of a 10-minute recording does not read the recording', async (context) => {
    // 10 minutes of 48 kHz stereo 16-bit: a real header over 115 MB of (sparse, silent) data.
    const long = dir.path('ten-minutes.wav');
    const dataBytes = 600 * 48000 * 4;
    const header = Buffer.alloc(44);
    header.write('RIFF', 0, 'ascii');
    header.writeUInt32LE(36 + dataBytes, 4);
    header.write('WAVEfmt ', 8, 'ascii');
    header.writeUInt32LE(16, 16);
    header.writeUInt16LE(1, 20); // PCM
    header.writeUInt16LE(2, 22);
    header.writeUInt32LE(48000, 24);
    header.writeUInt32LE(48000 * 4, 28);
    header.writeUInt16LE(4, 32);
    header.writeUInt16LE(16, 34);
    header.write('data', 36, 'ascii');
    header.writeUInt32LE(dataBytes, 40);
    const fd = openSync(long, 'w');
    writeSync(fd, header);
    ftruncateSync(fd, 44 + dataBytes);
    closeSync(fd);
    const before = bytesRead();
    if (before === undefined) return context.skip('no /proc/self/io to count bytes read');
    const cut = await decodeAudio(long, { start: 300, end: 306, sampleRate: 16000, channel: 0 });
    const read = bytesRead()! - before;
    expect(cut.samples).toHaveLength(6 * 16000);
    expect(cut.sourceSampleRate).toBe(48000);
    // The cut is 6 s x 48000 x 4 bytes = 1.15 MB; the file is 115 MB.
    expect(read).toBeLessThan(3_000_000);
    expect(read).toBeGreaterThan(6 * 48000 * 4);
  });
});
