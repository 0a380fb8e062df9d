/**
 * Small numeric helpers that reproduce numpy's float behaviour, so our means equal the
 * reference implementations' to the last bit rather than only to rounding noise.
 */

/** numpy's pairwise summation (the algorithm behind np.sum / np.mean on float64 arrays). */
export function pairwiseSum(a: ArrayLike<number>, start = 0, n = a.length - start): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    let r0 = a[start], r1 = a[start + 1], r2 = a[start + 2], r3 = a[start + 3];
    let r4 = a[start + 4], r5 = a[start + 5], r6 = a[start + 6], r7 = a[start + 7];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      const p = start + i;
      r0 += a[p];
      r1 += a[p + 1];
      r2 += a[p + 2];
      r3 += a[p + 3];
      r4 += a[p + 4];
      r5 += a[p + 5];
      r6 += a[p + 6];
      r7 += a[p + 7];
    }
    let res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** np.mean of the values that pass `keep` (e.g. > -1 for COCO), or `empty` when none do. */
export function meanWhere(
  values: ArrayLike<number>,
  keep: (v: number) => boolean,
  empty = -1,
): number {
  const kept: number[] = [];
  for (let i = 0; i < values.length; i++) if (keep(values[i])) kept.push(values[i]);
  return kept.length === 0 ? empty : pairwiseSum(kept) / kept.length;
}

/** np.nanmean: mean ignoring NaN; NaN when every value is NaN. */
export function nanMean(values: ArrayLike<number>): number {
  return meanWhere(values, (v) => !Number.isNaN(v), NaN);
}

/** np.linspace(start, stop, num) with numpy's exact float steps (i*step + start, last = stop). */
export function linspace(start: number, stop: number, num: number): number[] {
  const out: number[] = [];
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out.push(i * step + start);
  if (num > 1) out[num - 1] = stop;
  return out;
}
