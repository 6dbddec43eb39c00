import { describe, expect, it } from 'vitest';
import { EntryOrder, epochPermutation, splitRange } from '../../src/data/stream/order';

const all = (o: EntryOrder, batches: number) => Array.from({ length: batches }, () => Array.from(o.next()!.entries));

describe('entry order', () => {
  it('is a permutation per epoch, reproducible from the seed and different per epoch and seed', () => {
    const a = epochPermutation(1000, 7, 0);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(epochPermutation(1000, 7, 0)).toEqual(a);
    const b = epochPermutation(1000, 7, 1);
    const c = epochPermutation(1000, 8, 0);
    const same = (p: Uint32Array, q: Uint32Array) => p.filter((v, i) => v === q[i]).length;
    // a random permutation agrees with another in ~1 place on average; 20 is far beyond chance
    expect(same(a, b)).toBeLessThan(20);
    expect(same(a, c)).toBeLessThan(20);
    expect(
      same(
        a,
        Uint32Array.from({ length: 1000 }, (_, i) => i),
      ),
    ).toBeLessThan(20);
  });

  it('walks epochs in batches over the range, each epoch visiting every entry once', () => {
    const o = new EntryOrder({ range: { start: 100, end: 110 }, shuffle: true, seed: 3, batch: 4 });
    const e0 = all(o, 3);
    expect(e0.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(e0.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i));
    expect(o.epoch).toBe(1);
    const e1 = all(o, 3).flat();
    expect(e1.sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i));
    const again = new EntryOrder({ range: { start: 100, end: 110 }, shuffle: true, seed: 3, batch: 4 });
    expect(all(again, 3)).toEqual(e0);
  });

  it('gives file order for evaluation, limited and finite', () => {
    const o = new EntryOrder({ range: { start: 5, end: 50 }, shuffle: false, batch: 4, epochs: 1, limit: 10 });
    const got: number[][] = [];
    for (let b = o.next(); b; b = o.next()) got.push(Array.from(b.entries));
    expect(got).toEqual([
      [5, 6, 7, 8],
      [9, 10, 11, 12],
      [13, 14],
    ]);
    expect(o.done).toBe(true);
    o.restart();
    expect(Array.from(o.next()!.entries)).toEqual([5, 6, 7, 8]);
  });

  it('drops the short last batch when asked, and reports the place', () => {
    const o = new EntryOrder({ range: { start: 0, end: 10 }, shuffle: false, batch: 4, dropLast: true });
    const places = Array.from({ length: 3 }, () => o.next()!.place);
    expect(places).toEqual([
      { epoch: 0, position: 0, epochSize: 10 },
      { epoch: 0, position: 4, epochSize: 10 },
      { epoch: 1, position: 0, epochSize: 10 },
    ]);
  });

  it('splits one file by entry ranges', () => {
    expect(splitRange(1000, 0.95)).toEqual({ train: { start: 0, end: 950 }, validation: { start: 950, end: 1000 } });
    expect(splitRange(2, 0.99)).toEqual({ train: { start: 0, end: 1 }, validation: { start: 1, end: 2 } });
    expect(() => splitRange(10, 1)).toThrow(/fraction/);
  });

  it('an entry set: each epoch visits exactly the set (shuffled, or in order), and an unsorted set is refused', () => {
    const set = Uint32Array.from([2, 3, 5, 8, 13, 21, 34]);
    const shuffled = new EntryOrder({ range: { start: 0, end: 40 }, set, shuffle: true, seed: 3, batch: 3 });
    expect(shuffled.epochSize).toBe(7);
    for (let epoch = 0; epoch < 2; epoch++) {
      const seen = all(shuffled, 3).flat();
      expect([...seen].sort((a, b) => a - b)).toEqual([...set]);
    }
    const inOrder = new EntryOrder({ range: { start: 0, end: 40 }, set, shuffle: false, batch: 4, epochs: 1 });
    expect(all(inOrder, 2)).toEqual([
      [2, 3, 5, 8],
      [13, 21, 34],
    ]);
    expect(inOrder.next()).toBeNull();
    for (const bad of [[3, 2], [1, 1], [50]])
      expect(() => new EntryOrder({ range: { start: 0, end: 40 }, set: Uint32Array.from(bad), shuffle: false, batch: 1 })).toThrow(
        /sorted, distinct/,
      );
  });
});
