import { describe, expect, it } from 'vitest';
import { BALANCE_SCHEMES } from '../../src/losses/segmentation';
import { makeBatches } from '../../src/tasks/cosmic/batches';
import { payloadClassWeights, planeClassCounts } from '../../src/tasks/cosmic/payloadClassCounts';
import { payloadPlaneData } from '../../src/tasks/cosmic/payloadPlanes';
import { downsamplePlanes } from '../../src/tasks/cosmic/planes';
import { randomPayload } from '../helpers/planesPayload';

/** Class pixel counts [B·P, 3] of the dense planes pooled by 2^k, counted pixel by pixel. */
function denseCounts(labels: ArrayLike<number>, pairs: number, pixels: number): Float64Array {
  const out = new Float64Array(pairs * 3);
  for (let q = 0; q < pairs; q++) for (let i = 0; i < pixels; i++) out[q * 3 + labels[q * pixels + i]!]++;
  return out;
}

describe('class counts and loss-balance weights from the sparse labels', () => {
  const cases = [
    { events: 1, planes: 1, height: 7, width: 12, k: 0 },
    { events: 4, planes: 3, height: 14, width: 6, k: 1, emptyPairs: [0, 7] },
    { events: 3, planes: 3, height: 28, width: 12, k: 2, labelOccupancy: 0.6 },
    { events: 2, planes: 3, height: 16, width: 32, k: 3, labelOccupancy: 0.02 },
    { events: 5, planes: 2, height: 8, width: 8, k: 1, emptyPairs: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
  ];
  cases.forEach((c, i) => {
    it(`${c.events}×${c.planes} planes ${c.height}×${c.width}, k=${c.k}: counts and makeBatches' weights for every scheme`, () => {
      const p = randomPayload({ ...c, seed: 100 + i });
      const dense = downsamplePlanes(payloadPlaneData(p), c.k);
      const pixels = dense.height * dense.width;
      const counts = planeClassCounts(p, c.k);
      expect(Array.from(counts)).toEqual(Array.from(denseCounts(dense.labels, p.events * p.planes, pixels)));
      for (const scheme of BALANCE_SCHEMES) {
        const [batch] = makeBatches(dense, p.events, scheme, 3);
        expect(payloadClassWeights(p, c.k, scheme)).toEqual(batch!.classWeights);
      }
      expect(counts.some((v, j) => j % 3 !== 0 && v > 0)).toBe(p.labelIndex.length > 0);
    });
  });

  it('a window with both classes counts as neutrino once, cosmic-only windows as cosmic', () => {
    const p = randomPayload({ events: 1, planes: 1, height: 4, width: 4, seed: 1, emptyPairs: [0] });
    // pixels 0 (cosmic) and 5 (neutrino) share the top-left 2×2 window, 2 and 3 (cosmic) the top-right
    const q = { ...p, labelOffsets: Uint32Array.of(0, 4), labelIndex: Uint32Array.of(0, 5, 2, 3), labelValue: Int32Array.of(1, 2, 1, 1) };
    expect(Array.from(planeClassCounts(q, 1))).toEqual([2, 1, 1]);
    expect(Array.from(planeClassCounts(q, 0))).toEqual([12, 3, 1]);
  });
});
