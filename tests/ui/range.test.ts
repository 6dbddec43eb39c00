import { describe, expect, it } from 'vitest';
import { finiteRange } from '../../src/ui/plots/range';

describe('finiteRange (the y = x line of prediction-vs-truth figures)', () => {
  it('handles a test set of 2·10⁶ points, where Math.min(...x) overflows the stack', () => {
    const x = Array.from({ length: 2_000_000 }, (_, i) => Math.sin(i) * 10);
    const y = Array.from({ length: 2_000_000 }, (_, i) => Math.cos(i) * 12);
    expect(() => Math.min(...x, ...y)).toThrow(RangeError);
    const [lo, hi] = finiteRange(x, y)!;
    expect(lo).toBeGreaterThanOrEqual(-12);
    expect(lo).toBeLessThan(-11.99);
    expect(hi).toBeGreaterThan(11.99);
  });
  it('skips NaN and missing arrays; empty input has no range', () => {
    expect(finiteRange([NaN, 3, -1, NaN], undefined)).toEqual([-1, 3]);
    expect(finiteRange([], undefined)).toBeNull();
    expect(finiteRange([NaN])).toBeNull();
  });
});
