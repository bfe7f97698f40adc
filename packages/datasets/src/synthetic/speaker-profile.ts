import type { SeededRandom } from '@mtl/common';
import type { Gender } from '../manifest.js';

type Rgb = [number, number, number];

/** What makes one synthetic speaker sound and look like themself. */
export interface SpeakerProfile {
  id: string;
  gender: Gender;
  voice: {
    /** Mean pitch of the neutral voice, Hz. */
    pitchHz: number;
    /** Multiplies every formant (vocal tract length: shorter for female voices). */
    formantScale: number;
    /** Period-to-period pitch perturbation, relative. */
    jitter: number;
    /** Period-to-period amplitude perturbation, relative. */
    shimmer: number;
    breathiness: number;
    loudness: number;
    /** Multiplies the emotion's syllable rate. */
    tempo: number;
  };
  look: {
    skin: Rgb;
    hair: Rgb;
    background: Rgb;
    /** Face half-width and half-height as fractions of the frame. */
    faceWidth: number;
    faceHeight: number;
    /** Eye distance from the centre line, fraction of the frame width. */
    eyeSpacing: number;
    longHair: boolean;
    /** Phase of the slight head sway, radians: fixed per speaker, so a clip's first frame shows expression, not motion. */
    swayPhase: number;
  };
}

const SKIN_TONES: Rgb[] = [
  [241, 194, 125],
  [224, 172, 105],
  [198, 134, 66],
  [141, 85, 36],
  [255, 219, 172],
  [176, 120, 80],
];
const HAIR_COLOURS: Rgb[] = [
  [40, 30, 20],
  [90, 60, 30],
  [180, 140, 80],
  [20, 20, 20],
  [130, 40, 20],
];

const pick = <T>(random: SeededRandom, items: readonly T[]): T => items[random.int(items.length)] as T;

/**
 * Speaker `index` of a corpus: genders alternate (even index female), and voice and face are
 * drawn per speaker so that speakers differ from each other, not only between genders.
 */
export function createSpeakerProfile(index: number, random: SeededRandom): SpeakerProfile {
  const gender: Gender = index % 2 === 0 ? 'female' : 'male';
  const female = gender === 'female';
  const background: Rgb = [random.uniform(60, 200), random.uniform(60, 200), random.uniform(60, 200)].map(
    Math.round,
  ) as Rgb;
  const skin = pick(random, SKIN_TONES);
  // The brows are drawn in the hair colour: one close to the skin would hide the expression.
  const hair = pick(
    random,
    HAIR_COLOURS.filter((colour) => Math.max(...colour.map((c, i) => Math.abs(c - (skin[i] as number)))) >= 80),
  );
  return {
    id: `spk${String(index + 1).padStart(2, '0')}`,
    gender,
    voice: {
      pitchHz: female ? random.uniform(180, 240) : random.uniform(95, 135),
      formantScale: (female ? 1.17 : 1.0) * random.uniform(0.94, 1.06),
      jitter: random.uniform(0.004, 0.012),
      shimmer: random.uniform(0.03, 0.08),
      breathiness: female ? random.uniform(0.04, 0.1) : random.uniform(0.01, 0.05),
      loudness: random.uniform(0.85, 1.15),
      tempo: random.uniform(0.9, 1.1),
    },
    look: {
      skin,
      hair,
      background,
      faceWidth: random.uniform(0.26, 0.32),
      faceHeight: random.uniform(0.34, 0.4),
      eyeSpacing: random.uniform(0.1, 0.13),
      longHair: female,
      swayPhase: random.uniform(0, 2 * Math.PI),
    },
  };
}
