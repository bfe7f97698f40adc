/** Wall time as the axes show it: 42.5s, 3m07s, 1h05m. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '';
  if (Math.abs(s) < 60) return `${+s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Numbers as the page shows them: 4 decimals, exponents for the very small and large. */
export const formatValue = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v)
    ? '–'
    : v !== 0 && (Math.abs(v) >= 1000 || Math.abs(v) < 1e-3)
      ? v.toExponential(3)
      : v.toFixed(4);
