/**
 * A seeded generator whose whole state is one 32-bit integer, so it serialises as JSON
 * and a restored run draws the same numbers (SplitMix32: a Weyl sequence through an
 * integer hash).
 */
export class SeededRandom {
  private position: number;

  constructor(seed: number) {
    this.position = seed >>> 0;
  }

  /** A uniform number in (0, 1): never 0, so its logarithm is finite. */
  uniform(): number {
    this.position = (this.position + 0x9e3779b9) >>> 0;
    let z = this.position;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z = (z ^ (z >>> 16)) >>> 0;
    return (z + 0.5) / 4294967296;
  }

  /** A standard normal number (Box-Muller; one draw per call keeps the state a single integer). */
  normal(): number {
    const radius = Math.sqrt(-2 * Math.log(this.uniform()));
    return radius * Math.cos(2 * Math.PI * this.uniform());
  }

  /** A copy of `items` in a uniformly random order (Fisher-Yates). */
  shuffled<T>(items: readonly T[]): T[] {
    const result = [...items];
    for (let i = result.length - 1; i > 0; i--) {
      const j = Math.min(i, Math.floor(this.uniform() * (i + 1)));
      [result[i], result[j]] = [result[j] as T, result[i] as T];
    }
    return result;
  }

  get state(): number {
    return this.position;
  }

  set state(position: number) {
    this.position = position >>> 0;
  }
}
