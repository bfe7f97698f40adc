export interface ResampleOptions {
  /**
   * Cutoff (the -6 dB point) as a fraction of the lower Nyquist frequency; the transition band
   * is centred on it. Default 0.9.
   */
  rolloff?: number;
  /** Filter half-length in zero crossings of the sinc; longer is sharper and slower. Default 16. */
  zeroCrossings?: number;
  /** Kaiser window shape; 10 gives roughly 100 dB stop-band attenuation. Default 10. */
  kaiserBeta?: number;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Zeroth-order modified Bessel function of the first kind, for the Kaiser window. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50 && term > 1e-12 * sum; k++) {
    term *= q / (k * k);
    sum += term;
  }
  return sum;
}

/**
 * Polyphase filter bank: for each of the `up` output phases, the taps applied to the
 * `2 * halfTaps` input samples around that output's position.
 */
function designFilterBank(up: number, down: number, options: Required<ResampleOptions>) {
  // Cutoff in cycles per input sample: below the Nyquist of whichever rate is lower.
  const cutoff = (0.5 * options.rolloff * Math.min(up, down)) / down;
  const halfTaps = Math.ceil(options.zeroCrossings / (2 * cutoff));
  const taps = 2 * halfTaps;
  const bank = new Float32Array(up * taps);
  const windowNorm = besselI0(options.kaiserBeta);
  for (let phase = 0; phase < up; phase++) {
    const fraction = phase / up; // output position lies this far past input sample `base`
    let sum = 0;
    for (let k = 0; k < taps; k++) {
      const t = k - halfTaps + 1 - fraction; // distance from the output position, in input samples
      const x = 2 * cutoff * t;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const r = t / (halfTaps + 1);
      const window = Math.abs(r) >= 1 ? 0 : besselI0(options.kaiserBeta * Math.sqrt(1 - r * r)) / windowNorm;
      const value = sinc * window;
      bank[phase * taps + k] = value;
      sum += value;
    }
    // Unit DC gain per phase: a constant signal stays constant.
    for (let k = 0; k < taps; k++) bank[phase * taps + k]! /= sum;
  }
  return { bank, taps, halfTaps };
}

/**
 * Resamples by the exact ratio `toRate / fromRate` with a Kaiser-windowed sinc low-pass
 * (polyphase), so content above the new Nyquist frequency is removed rather than folded back.
 * Samples outside the input count as zero. Output length is `ceil(length * toRate / fromRate)`.
 */
export function resample(
  samples: Float32Array,
  fromRate: number,
  toRate: number,
  options: ResampleOptions = {},
): Float32Array {
  for (const [name, rate] of [
    ['fromRate', fromRate],
    ['toRate', toRate],
  ] as const) {
    if (!Number.isInteger(rate) || rate <= 0)
      throw new Error(`resample: ${name} must be a positive integer, got ${rate}`);
  }
  const settings: Required<ResampleOptions> = {
    rolloff: options.rolloff ?? 0.9,
    zeroCrossings: options.zeroCrossings ?? 16,
    kaiserBeta: options.kaiserBeta ?? 10,
  };
  if (!(settings.rolloff > 0 && settings.rolloff <= 1)) {
    throw new Error(`resample: rolloff must be in (0, 1], got ${settings.rolloff}`);
  }
  if (fromRate === toRate) return samples.slice();
  const divisor = gcd(fromRate, toRate);
  const up = toRate / divisor;
  const down = fromRate / divisor;
  const { bank, taps, halfTaps } = designFilterBank(up, down, settings);
  const output = new Float32Array(Math.ceil((samples.length * up) / down));
  const last = samples.length - 1;
  for (let n = 0; n < output.length; n++) {
    const position = n * down; // in units of 1/up input samples
    const base = Math.floor(position / up);
    const phase = position - base * up;
    const first = base - halfTaps + 1;
    const row = phase * taps;
    let acc = 0;
    if (first >= 0 && first + taps - 1 <= last) {
      for (let k = 0; k < taps; k++) acc += bank[row + k]! * samples[first + k]!;
    } else {
      for (let k = 0; k < taps; k++) {
        const i = first + k;
        if (i >= 0 && i <= last) acc += bank[row + k]! * samples[i]!;
      }
    }
    output[n] = acc;
  }
  return output;
}
