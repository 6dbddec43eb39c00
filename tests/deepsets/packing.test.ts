import { describe, expect, it } from 'vitest';
import { largestSet, packSets, selectSets } from '../../src/data/packing';
import { offsetsFromCounts } from '../../src/data/ragged';
import { rng } from '../helpers/random';

function randomSets(count: number, maxSize: number, width: number, seed: number) {
  const r = rng(seed);
  const sizes = Array.from({ length: count }, () => Math.floor(r() * (maxSize + 1)));
  const offsets = offsetsFromCounts(sizes);
  const values = Float32Array.from({ length: offsets[count] * width }, () => r() * 2 - 1);
  return { values, offsets, width };
}

describe('packSets', () => {
  it('places every set exactly once, intact, within capacity, with stable shapes', () => {
    const sets = randomSets(200, 60, 3, 1);
    const p = packSets(sets, { capacity: 512 });
    const seen = new Set<number>();
    for (const b of p.blocks) {
      expect(b.values.length).toBe(512 * 3);
      expect(b.offsets.length).toBe(p.maxSets + 1);
      expect(b.sets.length).toBe(p.maxSets);
      expect(b.offsets[0]).toBe(0);
      expect(b.numElements).toBeLessThanOrEqual(512);
      for (let s = 0; s < p.maxSets; s++) {
        const k = b.sets[s];
        if (s >= b.numSets) {
          expect(k).toBe(-1);
          expect(b.offsets[s + 1]).toBe(b.offsets[s]); // padding slot = empty segment
          continue;
        }
        expect(seen.has(k)).toBe(false);
        seen.add(k);
        const rows = b.values.subarray(b.offsets[s] * 3, b.offsets[s + 1] * 3);
        expect(Array.from(rows)).toEqual(Array.from(sets.values.subarray(sets.offsets[k] * 3, sets.offsets[k + 1] * 3)));
      }
      expect(b.offsets[p.maxSets]).toBe(b.numElements);
      expect(b.values.subarray(b.numElements * 3).every((v) => v === 0)).toBe(true);
    }
    expect(seen.size).toBe(200);
  });

  it('reports padding per block and overall, and first-fit keeps it small', () => {
    const sets = randomSets(500, 40, 2, 2);
    const total = sets.offsets[500];
    const p = packSets(sets, { capacity: 1000 });
    p.blocks.forEach((b, i) => {
      expect(p.perBlock[i].elements).toBeCloseTo(1 - b.numElements / 1000, 12);
      expect(p.perBlock[i].sets).toBeCloseTo(1 - b.numSets / p.maxSets, 12);
    });
    expect(p.overall.elements).toBeCloseTo(1 - total / (1000 * p.blocks.length), 12);
    // First-fit with sets ≤ 4% of a block uses at most one block more than the ideal count.
    expect(p.blocks.length).toBeLessThanOrEqual(Math.ceil(total / 1000) + 1);
  });

  it('respects maxSets and the given order', () => {
    const sets = randomSets(30, 5, 1, 3);
    const order = Array.from({ length: 30 }, (_, i) => 29 - i);
    const p = packSets(sets, { capacity: 1000, maxSets: 8, order });
    expect(p.maxSets).toBe(8);
    expect(p.blocks.length).toBe(4);
    expect(Array.from(p.blocks[0].sets)).toEqual([29, 28, 27, 26, 25, 24, 23, 22]);
    expect(p.blocks[3].numSets).toBe(6);
  });

  it('keeps empty sets as empty segments', () => {
    const sets = { values: new Float32Array([1, 2, 3]), offsets: new Uint32Array([0, 0, 3, 3]), width: 1 };
    const p = packSets(sets, { capacity: 4 });
    expect(Array.from(p.blocks[0].offsets)).toEqual([0, 0, 3, 3]);
    expect(p.perBlock[0]).toEqual({ elements: 0.25, sets: 0 });
  });

  it('rejects a set larger than the capacity and malformed offsets', () => {
    const sets = randomSets(10, 50, 1, 4);
    expect(() => packSets(sets, { capacity: largestSet(sets) - 1 })).toThrow(/raise the capacity/);
    expect(() => packSets({ values: new Float32Array(2), offsets: new Uint32Array([0, 3]), width: 1 }, { capacity: 8 })).toThrow(
      /malformed/,
    );
  });
});

describe('selectSets', () => {
  it('copies the chosen sets in order', () => {
    const sets = { values: new Float32Array([1, 2, 3, 4, 5, 6]), offsets: new Uint32Array([0, 1, 1, 3]), width: 2 };
    const s = selectSets(sets, [2, 0, 1]);
    expect(Array.from(s.offsets)).toEqual([0, 2, 3, 3]);
    expect(Array.from(s.values)).toEqual([3, 4, 5, 6, 1, 2]);
  });
});
