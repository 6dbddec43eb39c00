import { describe, expect, it } from 'vitest';
import { hwioToOihw, oihwToHwio } from '../../tools/bench/cases/convLayout';
import { eventMajorTokens, syntheticJetTokens } from '../../tools/bench/cases/jetTokens';
import { bufferLimitReason, denseHostBytes } from '../../tools/bench/cases/ocSizes';
import { seededRandom } from '../../src/nn/init';

describe('convolution weight layouts', () => {
  const shape = [3, 2, 5, 4] as const; // O, I, kh, kw (kh ≠ kw catches swapped axes)
  const w = Float32Array.from({ length: 3 * 2 * 5 * 4 }, (_, i) => i);

  it('puts ours[o][i][a][b] at tfjs[a][b][i][o]', () => {
    const t = oihwToHwio(w, shape);
    const [O, I, kh, kw] = shape;
    for (const [o, i, a, b] of [
      [0, 0, 0, 0],
      [2, 1, 4, 3],
      [1, 0, 3, 1],
      [2, 0, 1, 2],
    ]) {
      expect(t[((a * kw + b) * I + i) * O + o]).toBe(w[((o * I + i) * kh + a) * kw + b]);
    }
  });

  it('round-trips', () => {
    expect(hwioToOihw(oihwToHwio(w, shape), shape)).toEqual(w);
  });
});

describe('jet tokens', () => {
  const [B, N, D, G] = [5, 4, 3, 2];
  const t = syntheticJetTokens(B, N, D, G, seededRandom(3));
  const W = D + G + 2;

  it('masks present jets and the event token, with flags matching the mask', () => {
    expect(t.tokenWidth).toBe(W);
    for (let b = 0; b < B; b++) {
      const m = Array.from(t.mask.subarray(b * (N + 1), (b + 1) * (N + 1)));
      const jets = m.slice(0, N).reduce((s, v) => s + v, 0);
      expect(jets).toBeGreaterThanOrEqual(2);
      expect(m.slice(0, jets).every((v) => v === 1) && m.slice(jets, N).every((v) => v === 0)).toBe(true);
      expect(m[N]).toBe(1);
      for (let j = 0; j < N; j++) expect(t.tokens[(b * N + j) * W + D + G]).toBe(m[j]); // is-jet flag
      expect(t.tokens[(B * N + b) * W + D + G + 1]).toBe(1); // is-event flag
    }
  });

  it('reorders rows to [event][jets…, event token]', () => {
    const out = eventMajorTokens(t.tokens, B, N, W);
    const row = (a: Float32Array, r: number) => Array.from(a.subarray(r * W, (r + 1) * W));
    expect(row(out, 1 * (N + 1) + 2)).toEqual(row(t.tokens, 1 * N + 2)); // jet 2 of event 1
    expect(row(out, 3 * (N + 1) + N)).toEqual(row(t.tokens, B * N + 3)); // event token of event 3
  });
});

describe('dense OC sizes', () => {
  const limits = { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 27 };

  it('is out of memory exactly when one N×K f32 matrix exceeds the smaller limit', () => {
    expect(bufferLimitReason(2 ** 15, 2 ** 10, limits)).toBeNull(); // exactly 128 MiB fits
    expect(bufferLimitReason(2 ** 15 + 1, 2 ** 10, limits)).toMatch(/maxStorageBufferBindingSize 128 MiB/);
    expect(bufferLimitReason(100_000, 5000, { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 31 })).toMatch(
      /1907 MiB > maxBufferSize 1024 MiB/,
    );
  });

  it('counts host bytes of live N×K matrices', () => {
    expect(denseHostBytes(10_000, 1000, 3)).toBe(120_000_000);
  });
});
