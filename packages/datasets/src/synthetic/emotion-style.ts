/** How an emotion shapes the synthetic voice: relative to the speaker's neutral voice. */
export interface Prosody {
  /** Multiplies the speaker's mean pitch. */
  pitchLevel: number;
  /** Pitch excursion of accents, in semitones. */
  pitchRange: number;
  /** Syllables per second. */
  rate: number;
  /** Loudness, relative. */
  energy: number;
  /** Aspiration noise added to the glottal source. */
  breathiness: number;
}

/** How an emotion shapes the rendered face. */
export interface Expression {
  /** Mouth corners: +1 up (smile), -1 down. */
  smile: number;
  /** Inner brow ends: +1 raised (sadness), -1 pulled down (anger). */
  browTilt: number;
  /** Whole brow: +1 raised, -1 lowered. */
  browRaise: number;
  /** Eye opening, 1 = relaxed. */
  eyeOpen: number;
}

export interface EmotionStyle {
  prosody: Prosody;
  expression: Expression;
}

// The directions follow the acoustic and facial correlates reported for acted emotion:
// anger and happiness raise pitch, range, rate and energy; sadness lowers them all.
export const EMOTION_STYLES: Record<string, EmotionStyle> = {
  neutral: {
    prosody: { pitchLevel: 1.0, pitchRange: 2.0, rate: 4.0, energy: 0.55, breathiness: 0.0 },
    expression: { smile: 0, browTilt: 0, browRaise: 0, eyeOpen: 0.85 },
  },
  anger: {
    prosody: { pitchLevel: 1.22, pitchRange: 5.0, rate: 5.2, energy: 1.0, breathiness: 0.0 },
    expression: { smile: -0.35, browTilt: -1, browRaise: -0.6, eyeOpen: 1.0 },
  },
  happiness: {
    prosody: { pitchLevel: 1.3, pitchRange: 7.0, rate: 4.6, energy: 0.8, breathiness: 0.05 },
    expression: { smile: 1, browTilt: 0, browRaise: 0.5, eyeOpen: 0.7 },
  },
  sadness: {
    prosody: { pitchLevel: 0.86, pitchRange: 1.0, rate: 2.8, energy: 0.3, breathiness: 0.15 },
    expression: { smile: -0.8, browTilt: 1, browRaise: 0.2, eyeOpen: 0.5 },
  },
};

export function emotionStyle(emotion: string): EmotionStyle {
  const style = EMOTION_STYLES[emotion];
  if (!style)
    throw new Error(
      `option emotions: no synthetic style for '${emotion}'; choose from ${Object.keys(EMOTION_STYLES).join(', ')}`,
    );
  return style;
}
