/**
 * Small dense matrices of plain numbers (float64), for the T x T problems of the
 * gradient-balancing methods: T is the number of tasks, so everything here is O(T^3) at most.
 */
export type Matrix = number[][];

export function dot(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

export function matVec(m: Matrix, v: readonly number[]): number[] {
  return m.map((row) => dot(row, v));
}

export function identity(n: number): Matrix {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
}

export function trace(m: Matrix): number {
  return m.reduce((sum, row, i) => sum + (row[i] as number), 0);
}

/** `m` scaled by `factor`, plus `shift` on the diagonal. */
export function scaleShift(m: Matrix, factor: number, shift = 0): Matrix {
  return m.map((row, i) => row.map((x, j) => x * factor + (i === j ? shift : 0)));
}

/**
 * Checks a Gramian (T x T, symmetric, finite). A NaN or infinite entry means a task
 * gradient was NaN or infinite, which no method can weigh: the error says which task.
 */
export function checkGramian(where: string, gramian: Matrix, tasks?: readonly string[]): void {
  const n = gramian.length;
  if (n === 0) throw new Error(`${where}: the Gramian is empty (no tasks)`);
  gramian.forEach((row, i) => {
    if (row.length !== n) throw new Error(`${where}: the Gramian must be ${n} x ${n}, row ${i} has ${row.length}`);
    row.forEach((x, j) => {
      if (!Number.isFinite(x)) {
        const name = (k: number) => (tasks ? `'${tasks[k]}'` : String(k));
        throw new Error(
          `${where}: the gradients of tasks ${name(i)} and ${name(j)} have a non-finite inner product (${x}); a task gradient is NaN or infinite`,
        );
      }
    });
  });
}

/** Checks a vector of finite numbers of the given length. */
export function checkVector(where: string, what: string, v: readonly number[], length: number): void {
  if (v.length !== length) throw new Error(`${where}: ${what} must have ${length} entries, got ${v.length}`);
  const bad = v.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new Error(`${where}: ${what}[${bad}] is ${v[bad]}, not finite`);
}

/**
 * Solves `m x = b` for a symmetric positive definite `m` (Cholesky); returns undefined
 * when `m` is not numerically positive definite.
 */
export function solvePositiveDefinite(m: Matrix, b: readonly number[]): number[] | undefined {
  const n = m.length;
  const l: Matrix = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const scale = Math.max(...m.map((row, i) => Math.abs(row[i] as number)), Number.MIN_VALUE);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = (m[i] as number[])[j] as number;
      for (let k = 0; k < j; k++) sum -= ((l[i] as number[])[k] as number) * ((l[j] as number[])[k] as number);
      if (i === j) {
        if (!(sum > scale * 1e-14)) return undefined;
        (l[i] as number[])[i] = Math.sqrt(sum);
      } else {
        (l[i] as number[])[j] = sum / ((l[j] as number[])[j] as number);
      }
    }
  }
  const y = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let sum = b[i] as number;
    for (let k = 0; k < i; k++) sum -= ((l[i] as number[])[k] as number) * (y[k] as number);
    y[i] = sum / ((l[i] as number[])[i] as number);
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i] as number;
    for (let k = i + 1; k < n; k++) sum -= ((l[k] as number[])[i] as number) * (x[k] as number);
    x[i] = sum / ((l[i] as number[])[i] as number);
  }
  return x;
}
