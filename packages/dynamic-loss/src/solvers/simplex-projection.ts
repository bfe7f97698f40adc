/**
 * The Euclidean projection of `v` onto the probability simplex {w >= 0, sum w = 1}
 * (the sort-based algorithm of Held, Wolfe, Crowder 1974; Duchi et al. 2008): w_i =
 * max(v_i - theta, 0) with theta chosen so the result sums to 1.
 */
export function projectOntoSimplex(v: readonly number[]): number[] {
  if (v.length === 0) throw new Error('projectOntoSimplex: the vector is empty');
  const bad = v.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new Error(`projectOntoSimplex: entry ${bad} is ${v[bad]}, not finite`);
  const sorted = [...v].sort((a, b) => b - a);
  let cumulative = 0;
  let theta = 0;
  for (let k = 0; k < sorted.length; k++) {
    cumulative += sorted[k] as number;
    const candidate = (cumulative - 1) / (k + 1);
    if ((sorted[k] as number) - candidate > 0) theta = candidate;
  }
  return v.map((x) => Math.max(x - theta, 0));
}
