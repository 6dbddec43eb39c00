import { describe, expect, it } from 'vitest';
import { downsampleMinMax } from '../../src/ui/plots/downsample';

/** A noisy decaying curve with a few one-step spikes (NaN steps, huge loss). */
function curve(n: number) {
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  let seed = 7;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    x[i] = i;
    y[i] = 1 / (1 + i / 1000) + 0.01 * (seed / 2147483648);
  }
  return { x, y };
}

describe('downsampleMinMax', () => {
  it('keeps at most the target number of points, in x order, from the input', () => {
    for (const n of [1_500, 1_501, 10_007, 1_000_000]) {
      const { x, y } = curve(n);
      const d = downsampleMinMax(x, y, 1500);
      expect(d.x.length).toBeLessThanOrEqual(1500);
      expect(d.x.length).toBe(d.y.length);
      for (let i = 1; i < d.x.length; i++) expect(d.x[i]).toBeGreaterThan(d.x[i - 1]);
      for (let i = 0; i < d.x.length; i += 97) expect(d.y[i]).toBe(y[d.x[i]]);
      // Endpoints are kept.
      expect(d.x[0]).toBe(0);
      expect(d.x.at(-1)).toBe(n - 1);
    }
  });

  it('keeps single-step spikes up and down, and the global extremes, over 10⁶ points', () => {
    const { x, y } = curve(1_000_000);
    y[123_457] = 50; // a loss spike of one step
    y[777_777] = -3; // a dip
    const d = downsampleMinMax(x, y, 1500);
    expect(Math.max(...d.y)).toBe(50);
    expect(Math.min(...d.y)).toBe(-3);
    expect(d.x).toContain(123_457);
    expect(d.x).toContain(777_777);
    // Every bucket keeps its own min and max: the envelope of each of 749 buckets survives.
    const bucketMax = (lo: number, hi: number) => {
      let m = -Infinity;
      for (let i = lo; i < hi; i++) m = Math.max(m, y[i]);
      return m;
    };
    const b = 300; // an arbitrary inner bucket
    const inner = 1_000_000 - 2;
    const start = 1 + Math.floor((b * inner) / 749);
    const end = 1 + Math.floor(((b + 1) * inner) / 749);
    expect(d.y).toContain(bucketMax(start, end));
  });

  it('returns short series whole, drops non-finite values, and refuses a target below 4', () => {
    const d = downsampleMinMax([0, 1, 2, 3], [1, NaN, 3, Infinity], 1500);
    expect(d).toEqual({ x: [0, 2], y: [1, 3] });
    const long = curve(5000);
    long.y.fill(NaN, 100, 4000);
    const e = downsampleMinMax(long.x, long.y, 100);
    expect(e.y.every(Number.isFinite)).toBe(true);
    expect(e.x.length).toBeLessThanOrEqual(100);
    expect(() => downsampleMinMax([1], [1], 3)).toThrow(/at least 4/);
  });
});
