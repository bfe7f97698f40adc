/**
 * Audio and video share one time axis of frames: frame i owns audio samples
 * [i * samplesPerFrame, (i + 1) * samplesPerFrame). samplesPerFrame = sampleRate / fps must
 * be a whole number (16 kHz at 25 fps gives the paper's 640), so every frame gets the same
 * number of samples and frames never drift against the audio.
 */
export function samplesPerFrame(sampleRate: number, fps: number): number {
  const value = sampleRate / fps;
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(
      `samplesPerFrame: sampleRate ${sampleRate} / fps ${fps} = ${Number.isFinite(value) ? value.toFixed(3) : value} is not a whole number of samples; ` +
        'pick a pair that divides (16000 Hz works with 10, 16, 20, 25, 32, 40 or 50 fps)',
    );
  }
  return value;
}
