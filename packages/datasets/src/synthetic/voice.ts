import type { SeededRandom } from '@mtl/common';
import type { Prosody } from './emotion-style.js';
import type { SpeakerProfile } from './speaker-profile.js';

/** Formants F1-F3 (Hz) of five vowels for an adult male tract; other speakers scale them. */
const VOWELS: [number, number, number][] = [
  [730, 1090, 2440], // a
  [530, 1840, 2480], // e
  [270, 2290, 3010], // i
  [570, 840, 2410], // o
  [300, 870, 2240], // u
];
const BANDWIDTHS = [80, 100, 140];
const EDGE_SILENCE_SECONDS = 0.12;
const RAMP_SECONDS = 0.02;
const FORMANT_GLIDE_SECONDS = 0.025;
const TARGET_RMS = 0.12;

interface Syllable {
  start: number;
  end: number;
  vowel: number;
  /** Pitch accent in [-1, 1]. */
  accent: number;
}

export interface Utterance {
  samples: Float32Array;
  sampleRate: number;
}

/** Syllables of voiced speech separated by short gaps and the occasional phrase pause. */
function planSyllables(duration: number, rate: number, random: SeededRandom): Syllable[] {
  const syllables: Syllable[] = [];
  let t = EDGE_SILENCE_SECONDS;
  while (true) {
    const length = random.uniform(0.75, 1.25) / rate;
    const voiced = length * random.uniform(0.6, 0.8);
    if (t + voiced > duration - EDGE_SILENCE_SECONDS) break;
    // Accents alternate in sign (a rise, then a fall), so the emotion's range is really used.
    const sign = syllables.length % 2 === 0 ? 1 : -1;
    syllables.push({
      start: t,
      end: t + voiced,
      vowel: random.int(VOWELS.length),
      accent: sign * random.uniform(0.5, 1),
    });
    t += length + (random.next() < 0.15 ? random.uniform(0.1, 0.25) : 0);
  }
  return syllables;
}

/** Rosenberg glottal pulse over one period, phase in [0, 1). */
function glottalPulse(phase: number): number {
  const rise = 0.4;
  const fall = 0.16;
  if (phase < rise) return 0.5 * (1 - Math.cos((Math.PI * phase) / rise));
  if (phase < rise + fall) return Math.cos((Math.PI * (phase - rise)) / (2 * fall));
  return 0;
}

/**
 * A source-filter voice: a jittered, shimmered glottal pulse train (plus aspiration noise)
 * through three formant resonators gliding between vowel targets. Pitch follows the
 * speaker's mean scaled by the emotion's level, with per-syllable accents spanning the
 * emotion's range and a falling declination; rate and loudness follow the emotion too.
 */
export function synthesizeUtterance(
  speaker: SpeakerProfile,
  prosody: Prosody,
  duration: number,
  sampleRate: number,
  random: SeededRandom,
): Utterance {
  const n = Math.round(duration * sampleRate);
  const syllables = planSyllables(duration, prosody.rate * speaker.voice.tempo, random);
  const { voice } = speaker;
  const meanPitch = voice.pitchHz * prosody.pitchLevel;
  const breathiness = voice.breathiness + prosody.breathiness;

  const source = new Float32Array(n);
  const f1 = new Float32Array(n);
  const f2 = new Float32Array(n);
  const f3 = new Float32Array(n);
  const glide = 1 - Math.exp(-1 / (FORMANT_GLIDE_SECONDS * sampleRate));
  let formants = VOWELS[syllables[0]?.vowel ?? 0] as [number, number, number];
  const current = [...formants];
  let phase = 0;
  let periodPitch = meanPitch;
  let periodAmplitude = 1;
  let previousPulse = 0;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const t = i / sampleRate;
    while (s < syllables.length && t >= (syllables[s] as Syllable).end) s++;
    const syllable = syllables[s];
    let envelope = 0;
    let accent = 0;
    if (syllable && t >= syllable.start) {
      const into = t - syllable.start;
      const left = syllable.end - t;
      envelope = Math.min(1, into / RAMP_SECONDS, left / RAMP_SECONDS);
      envelope = 0.5 - 0.5 * Math.cos(Math.PI * envelope);
      accent = syllable.accent * Math.sin((Math.PI * into) / (syllable.end - syllable.start));
      formants = VOWELS[syllable.vowel] as [number, number, number];
    }
    const declination = 0.5 - t / duration;
    const pitch = meanPitch * 2 ** ((prosody.pitchRange * (0.7 * accent + 0.3 * declination)) / 12);
    phase += periodPitch / sampleRate;
    if (phase >= 1) {
      phase -= 1;
      // Jitter and shimmer are drawn once per glottal period.
      periodPitch = pitch * (1 + voice.jitter * random.normal());
      periodAmplitude = 1 + voice.shimmer * random.normal();
    }
    const pulse = glottalPulse(phase) * periodAmplitude;
    // Lip radiation differentiates the glottal flow.
    const excitation = (pulse - previousPulse) * 8 + breathiness * random.normal() * (0.3 + pulse);
    previousPulse = pulse;
    source[i] = excitation * envelope;
    for (let k = 0; k < 3; k++)
      current[k] =
        (current[k] as number) + glide * ((formants[k] as number) * voice.formantScale - (current[k] as number));
    f1[i] = current[0] as number;
    f2[i] = current[1] as number;
    f3[i] = current[2] as number;
  }

  // Cascade of two-pole resonators with unity gain at 0 Hz.
  let signal = source;
  for (const [k, frequencies] of [f1, f2, f3].entries()) {
    const out = new Float32Array(n);
    const r = Math.exp((-Math.PI * (BANDWIDTHS[k] as number)) / sampleRate);
    let y1 = 0;
    let y2 = 0;
    for (let i = 0; i < n; i++) {
      const b1 = 2 * r * Math.cos((2 * Math.PI * (frequencies[i] as number)) / sampleRate);
      const b2 = -r * r;
      const y = (1 - b1 - b2) * (signal[i] as number) + b1 * y1 + b2 * y2;
      out[i] = y;
      y2 = y1;
      y1 = y;
    }
    signal = out;
  }

  // Loudness: voiced RMS set by the emotion's energy and the speaker's loudness.
  let sum = 0;
  let count = 0;
  for (const syl of syllables) {
    for (let i = Math.floor(syl.start * sampleRate); i < Math.min(n, Math.floor(syl.end * sampleRate)); i++) {
      sum += (signal[i] as number) ** 2;
      count++;
    }
  }
  const rms = Math.sqrt(sum / Math.max(1, count));
  const gain = rms > 0 ? (TARGET_RMS * prosody.energy * voice.loudness) / rms : 0;
  for (let i = 0; i < n; i++) signal[i] = Math.max(-0.99, Math.min(0.99, (signal[i] as number) * gain));
  return { samples: signal, sampleRate };
}

/** RMS of each block of `samplesPerFrame` samples: the loudness a video frame shows. */
export function frameEnergy(samples: Float32Array, samplesPerFrame: number): Float32Array {
  const frames = Math.floor(samples.length / samplesPerFrame);
  const energy = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let i = f * samplesPerFrame; i < (f + 1) * samplesPerFrame; i++) sum += (samples[i] as number) ** 2;
    energy[f] = Math.sqrt(sum / samplesPerFrame);
  }
  return energy;
}
