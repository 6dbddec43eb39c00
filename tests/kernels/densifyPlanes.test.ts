import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/tensor/engine';
import { densifyPlanes } from '../../src/tensor/ops/densifyPlanes';
import { densifyPlanesRef } from '../../src/tensor/reference/densifyPlanes';
import { downsamplePlanes } from '../../src/tasks/cosmic/planes';
import { payloadPlaneData } from '../../src/tasks/cosmic/payloadPlanes';
import { testEngine } from '../helpers/engine';
import { randomPayload, type RandomPayloadOptions } from '../helpers/planesPayload';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

// Inputs are f32, the window sum takes f² − 1 f32 additions, each off by at most 2^-24 of a
// partial sum ≤ Σ|v|, and dividing by f² = 4^k is exact: |gpu − ref| ≤ 2^-24 · Σ|v| / f² ·
// (f² − 1) < 2^-24 · Σ|v|. We allow twice that. With k = 0 there is no addition: exact.
async function check(o: RandomPayloadOptions, k: number, chunkBytes?: number) {
  const p = randomPayload(o);
  const ref = densifyPlanesRef(p, k);
  const out = densifyPlanes(e, p, k, chunkBytes ? { chunkBytes } : {});
  const [Ho, Wo] = [o.height / 2 ** k, o.width / 2 ** k];
  expect(out.images.shape).toEqual([o.events, o.planes, Ho, Wo]);
  expect(out.labels.shape).toEqual([o.events * o.planes, Ho, Wo]);
  expect(out.labels.dtype).toBe('i32');
  const images = await out.images.read();
  const labels = await out.labels.read();
  out.images.dispose();
  out.labels.dispose();
  let worst = 0;
  for (let i = 0; i < images.length; i++) {
    const tol = 2 ** -23 * ref.absSums[i]!;
    worst = Math.max(worst, Math.abs(images[i]! - ref.images[i]!) - tol);
  }
  expect(worst).toBeLessThanOrEqual(0);
  if (k === 0) expect(Array.from(images)).toEqual(Array.from(ref.images));
  expect(Array.from(labels)).toEqual(Array.from(ref.labels));
  // some pixels are lit, some labels set, so the comparison is not of zeros
  expect(ref.images.some((v) => v !== 0)).toBe(true);
  expect(ref.labels.some((v) => v === 2)).toBe(true);
  return { p, images, labels };
}

describe('densifyPlanes (GPU) vs the f64 reference', () => {
  const cases: [string, RandomPayloadOptions, number][] = [
    ['1 plane 7×12, k=0', { events: 1, planes: 1, height: 7, width: 12, seed: 1 }, 0],
    ['2×3 planes 7×12, k=0, an empty plane', { events: 2, planes: 3, height: 7, width: 12, seed: 2, emptyPairs: [4] }, 0],
    ['1 plane 14×6 (→ 7×3), k=1', { events: 1, planes: 1, height: 14, width: 6, seed: 3 }, 1],
    ['3×3 planes 14×6, k=1, empty first and last planes', { events: 3, planes: 3, height: 14, width: 6, seed: 4, emptyPairs: [0, 8] }, 1],
    ['1 plane 28×12 (→ 7×3), k=2', { events: 1, planes: 1, height: 28, width: 12, seed: 5 }, 2],
    ['2×3 planes 28×12, k=2, dense', { events: 2, planes: 3, height: 28, width: 12, seed: 6, imageOccupancy: 0.9, labelOccupancy: 0.5 }, 2],
    ['1 event of 3 planes 4×4, k=2 (one pixel)', { events: 1, planes: 3, height: 4, width: 4, seed: 7, emptyPairs: [1] }, 2],
  ];
  for (const [name, o, k] of cases) it(name, async () => void (await check(o, k)));

  it('a full-resolution block of 2 planes (5 chunks for 9 planes) and of less than one plane give the same', async () => {
    const o = { events: 3, planes: 3, height: 28, width: 12, seed: 8, emptyPairs: [2, 3] };
    const whole = await check(o, 2);
    for (const bytes of [2 * 28 * 12 * 4, 100]) {
      const chunked = await check(o, 2, bytes);
      expect(chunked.images).toEqual(whole.images);
      expect(chunked.labels).toEqual(whole.labels);
    }
  });

  it('a payload with no voxels at all gives zeros', async () => {
    const p = randomPayload({ events: 2, planes: 3, height: 8, width: 4, seed: 9, emptyPairs: [0, 1, 2, 3, 4, 5] });
    const out = densifyPlanes(e, p, 1);
    expect(Array.from(await out.images.read()).every((v) => v === 0)).toBe(true);
    expect(Array.from(await out.labels.read()).every((v) => v === 0)).toBe(true);
    out.images.dispose();
    out.labels.dispose();
  });

  it('refuses sides that 2^k does not divide and indices outside the plane', () => {
    const p = randomPayload({ events: 1, planes: 1, height: 7, width: 12, seed: 10 });
    expect(() => densifyPlanes(e, p, 1)).toThrow('cannot downsample 7×12 by 2');
    const bad = { ...p, imageIndex: Uint32Array.from(p.imageIndex, (v, i) => (i === 3 ? 84 : v)) };
    expect(() => densifyPlanes(e, bad, 0)).toThrow('image index 84 outside the 7×12 plane');
  });
});

describe('the reference is the host path (densify, then downsamplePlanes)', () => {
  for (const k of [0, 1, 2]) {
    it(`k=${k}`, () => {
      const p = randomPayload({ events: 2, planes: 3, height: 28, width: 12, seed: 20 + k, emptyPairs: [1] });
      const host = downsamplePlanes(payloadPlaneData(p), k);
      const ref = densifyPlanesRef(p, k);
      // downsamplePlanes sums in f64 in the same order and stores f32
      expect(host.images).toEqual(Float32Array.from(ref.images));
      expect(Array.from(host.labels)).toEqual(Array.from(ref.labels));
    });
  }
});
