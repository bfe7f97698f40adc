/**
 * Everything a generator needs to continue exactly where it was: plain JSON, so it goes
 * into a checkpoint next to the model and a resumed run draws the same numbers.
 */
export interface RandomState {
  /** Position in the Weyl sequence, an unsigned 32-bit integer. */
  position: number;
  /** The second normal of the last Box-Muller pair, when it has not been drawn yet. */
  spare: number | null;
}

const WEYL = 0x9e3779b9;

function checkState(state: RandomState): RandomState {
  const position = state?.position;
  if (!Number.isInteger(position) || position < 0 || position > 0xffffffff) {
    throw new Error(`SeededRandom: state.position must be an unsigned 32-bit integer, got ${JSON.stringify(position)}`);
  }
  if (state.spare !== null && !Number.isFinite(state.spare)) {
    throw new Error(`SeededRandom: state.spare must be a finite number or null, got ${JSON.stringify(state.spare)}`);
  }
  return state;
}

/**
 * A seeded pseudo-random generator (SplitMix32: a Weyl sequence through MurmurHash3's
 * 32-bit finaliser), the same numbers for the same seed on every machine and runtime.
 * Its whole state is `state()`; `restore()` (or `SeededRandom.fromState`) continues the
 * exact sequence, between any two draws.
 */
export class SeededRandom {
  private position: number;
  private spare: number | null = null;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`SeededRandom: seed must be a finite number, got ${seed}`);
    this.position = Math.trunc(seed) >>> 0;
  }

  static fromState(state: RandomState): SeededRandom {
    const random = new SeededRandom(0);
    random.restore(state);
    return random;
  }

  /** Uniform in (0, 1): never 0, so its logarithm is finite. */
  next(): number {
    this.position = (this.position + WEYL) >>> 0;
    let z = this.position;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z = (z ^ (z >>> 16)) >>> 0;
    return (z + 0.5) / 4294967296;
  }

  /** Uniform in (lo, hi); (0, 1) by default. */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal. Box-Muller gives two per pair of uniforms; the second is kept (in the state) for the next call. */
  normal(): number {
    if (this.spare !== null) {
      const value = this.spare;
      this.spare = null;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(this.next()));
    const angle = 2 * Math.PI * this.next();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1) throw new Error(`SeededRandom.int: n must be a positive integer, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** A shuffled copy (Fisher-Yates); the input is left as it is. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const held = out[i] as T;
      out[i] = out[j] as T;
      out[j] = held;
    }
    return out;
  }

  /** A copy of the state: JSON.stringify it, and `restore` it into any generator. */
  state(): RandomState {
    return { position: this.position, spare: this.spare };
  }

  restore(state: RandomState): void {
    checkState(state);
    this.position = state.position;
    this.spare = state.spare;
  }
}

/**
 * FNV-1a over a string, mixed with a seed: a stream per name (a model's variable path, a
 * dropout layer), so that adding one never changes what the others draw.
 */
export function hashSeed(seed: number, text: string): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
