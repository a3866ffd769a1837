// Small statistics over repeated runs: medians and ranges, never a single run's number.

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** `{n, median, min, max}` of the finite values; n = 0 and nulls when there are none. */
export function summarize(values) {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return { n: 0, median: null, min: null, max: null };
  return { n: v.length, median: median(v), min: Math.min(...v), max: Math.max(...v) };
}

/** a / b, or null when either is missing or b is 0. */
export function ratio(a, b) {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return a / b;
}

/** The list rotated left by `k`: run r starts with a different system each time. */
export function rotate(list, k) {
  if (list.length === 0) return [];
  const s = ((k % list.length) + list.length) % list.length;
  return [...list.slice(s), ...list.slice(0, s)];
}
