/**
 * Smallest and largest finite value over several arrays, by a loop: `Math.min(...x)` passes
 * every element as an argument and overflows the stack for test sets of 10⁵–10⁶ points.
 */
export function finiteRange(...arrays: (ArrayLike<number> | undefined)[]): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays) {
    if (!a) continue;
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : null;
}
