import { describe, expect, it } from 'vitest';
import { SeriesColumns, type ScalarPoint } from '../../src/state/seriesColumns';

const point = (step: number, values: Record<string, number>): ScalarPoint => ({ step, wallMs: step * 2, values });

describe('SeriesColumns (live chart store)', () => {
  it('appends 10⁶ points in O(1) amortised: ~log2(n) reallocations, and every value is where it was put', () => {
    const s = new SeriesColumns();
    const n = 1_000_000;
    const t0 = performance.now();
    // Messages of 10 points, as the worker sends them every 10 steps.
    for (let m = 0; m < n / 10; m++) {
      const batch: ScalarPoint[] = [];
      for (let k = 0; k < 10; k++) {
        const i = m * 10 + k;
        batch.push(point(i, { loss: 1 / (i + 1), acc: i % 7 }));
      }
      s.append(batch);
    }
    const ms = performance.now() - t0;
    expect(s.length).toBe(n);
    // Doubling from 256: 256·2^12 = 1,048,576 ≥ 10⁶, so exactly 12 reallocations. Concatenating
    // the whole history on every message (the old store) would copy ~5·10¹⁰ points.
    expect(s.reallocations).toBe(12);
    // Generous bound (≈0.3 s measured on a shared CPU): catches any O(n²) regression, which
    // would take hours here.
    expect(ms).toBeLessThan(5_000);
    const loss = s.column('loss')!;
    const acc = s.column('acc')!;
    const steps = s.steps();
    expect(loss.length).toBe(n);
    for (const i of [0, 1, 255, 256, 257, 65_535, 999_999]) {
      expect(steps[i]).toBe(i);
      expect(loss[i]).toBe(1 / (i + 1));
      expect(acc[i]).toBe(i % 7);
      expect(s.wallMs()[i]).toBe(2 * i);
    }
  });

  it('columns are views of the store (no copy per read) and survive until the next growth', () => {
    const s = new SeriesColumns();
    s.append([point(0, { loss: 3 }), point(1, { loss: 2 })]);
    const a = s.column('loss')!;
    const b = s.column('loss')!;
    expect(a.buffer).toBe(b.buffer);
    expect([...a]).toEqual([3, 2]);
  });

  it('a metric first reported later, or missing at a step, reads NaN there', () => {
    const s = new SeriesColumns();
    for (let i = 0; i < 300; i++) s.appendOne(point(i, i >= 290 ? { loss: i, purity: i / 10 } : { loss: i }));
    s.appendOne(point(300, { purity: 1 }));
    const purity = s.column('purity')!;
    const loss = s.column('loss')!;
    expect(s.names()).toEqual(['loss', 'purity']);
    expect(Number.isNaN(purity[0])).toBe(true);
    expect(Number.isNaN(purity[289])).toBe(true);
    expect(purity[290]).toBe(29);
    expect(Number.isNaN(loss[300])).toBe(true);
    expect(s.last()).toEqual({ purity: 1 });
    expect(s.column('absent')).toBeNull();
  });

  it('wallAtStep finds the first point at or after a step (binary search), the last one past the end', () => {
    const s = new SeriesColumns();
    for (let i = 0; i < 1000; i++) s.appendOne({ step: 10 * i, wallMs: 100 + i, values: { loss: 1 } });
    expect(s.wallAtStep(0)).toBe(100);
    expect(s.wallAtStep(15)).toBe(102);
    expect(s.wallAtStep(20)).toBe(102);
    expect(s.wallAtStep(1e9)).toBe(1099);
    expect(new SeriesColumns().wallAtStep(5)).toBeUndefined();
  });
});
