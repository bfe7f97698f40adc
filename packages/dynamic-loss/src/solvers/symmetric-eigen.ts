import { checkGramian, type Matrix } from './matrix.js';

export interface Eigendecomposition {
  /** Eigenvalues, largest first. */
  values: number[];
  /** vectors[k] is the unit eigenvector of values[k]. */
  vectors: number[][];
}

/**
 * The eigendecomposition of a symmetric matrix by the cyclic Jacobi method: rotations
 * zero the off-diagonal entries until they are below 1e-15 of the Frobenius norm.
 * Accurate to rounding for the small T x T matrices of this package.
 */
export function symmetricEigen(m: Matrix, where = 'symmetricEigen'): Eigendecomposition {
  checkGramian(where, m);
  const n = m.length;
  const a = m.map((row) => [...row]);
  const v = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  const norm = Math.sqrt(a.reduce((sum, row) => sum + row.reduce((s, x) => s + x * x, 0), 0));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += ((a[p] as number[])[q] as number) ** 2;
    if (Math.sqrt(off) <= 1e-15 * norm) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = (a[p] as number[])[q] as number;
        if (apq === 0) continue;
        const app = (a[p] as number[])[p] as number;
        const aqq = (a[q] as number[])[q] as number;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = (a[k] as number[])[p] as number;
          const akq = (a[k] as number[])[q] as number;
          (a[k] as number[])[p] = c * akp - s * akq;
          (a[k] as number[])[q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = (a[p] as number[])[k] as number;
          const aqk = (a[q] as number[])[k] as number;
          (a[p] as number[])[k] = c * apk - s * aqk;
          (a[q] as number[])[k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = (v[k] as number[])[p] as number;
          const vkq = (v[k] as number[])[q] as number;
          (v[k] as number[])[p] = c * vkp - s * vkq;
          (v[k] as number[])[q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (i, j) => ((a[j] as number[])[j] as number) - ((a[i] as number[])[i] as number),
  );
  return {
    values: order.map((i) => (a[i] as number[])[i] as number),
    vectors: order.map((i) => v.map((row) => row[i] as number)),
  };
}

/**
 * The Moore-Penrose pseudo-inverse of a symmetric positive semi-definite matrix, dropping
 * eigenvalues below `max(eigenvalue) * n * 2^-23` (float32 rounding, as the gradients are float32).
 */
export function pseudoInverse(m: Matrix, where = 'pseudoInverse'): Matrix {
  const { values, vectors } = symmetricEigen(m, where);
  const n = m.length;
  const cutoff = Math.max(values[0] as number, 0) * n * 2 ** -23;
  const result = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  values.forEach((value, k) => {
    if (!(value > cutoff)) return;
    const vector = vectors[k] as number[];
    result.forEach((row, i) => {
      for (let j = 0; j < n; j++) row[j] = (row[j] as number) + ((vector[i] as number) * (vector[j] as number)) / value;
    });
  });
  return result;
}
