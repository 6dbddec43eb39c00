/**
 * Min/max downsampling of a line for drawing: the points are split into equal index buckets
 * and each bucket keeps its smallest and largest finite value, in the order they occur, so a
 * spike of one step stays visible however long the run (as W&B and M4 do). The first and last
 * points are always kept; non-finite values are dropped. Returns at most `target` points (all of them when there are fewer).
 */
export interface Line {
  x: number[];
  y: number[];
}

export function downsampleMinMax(x: ArrayLike<number>, y: ArrayLike<number>, target: number): Line {
  const n = Math.min(x.length, y.length);
  const out: Line = { x: [], y: [] };
  if (!(target >= 4)) throw new Error(`downsample target ${target}: need at least 4 points`);
  const push = (i: number) => {
    if (!Number.isFinite(y[i])) return;
    out.x.push(x[i]);
    out.y.push(y[i]);
  };
  if (n <= target) {
    for (let i = 0; i < n; i++) push(i);
    return out;
  }
  // Two points per bucket, plus the first and last points.
  const buckets = Math.floor((target - 2) / 2);
  const inner = n - 2;
  push(0);
  for (let b = 0; b < buckets; b++) {
    const start = 1 + Math.floor((b * inner) / buckets);
    const end = 1 + Math.floor(((b + 1) * inner) / buckets);
    let lo = -1;
    let hi = -1;
    for (let i = start; i < end; i++) {
      const v = y[i];
      if (!Number.isFinite(v)) continue; // NaN: the metric was not reported at that step
      if (lo < 0 || v < y[lo]) lo = i;
      if (hi < 0 || v > y[hi]) hi = i;
    }
    if (lo < 0) continue;
    if (lo === hi) push(lo);
    else if (lo < hi) {
      push(lo);
      push(hi);
    } else {
      push(hi);
      push(lo);
    }
  }
  push(n - 1);
  return out;
}
