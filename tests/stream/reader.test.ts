import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNodeH5 } from '../../src/data/h5/node';
import type { H5Source } from '../../src/data/h5/source';
import { JaggedSetsReader } from '../../src/data/stream/jagged';
import { EntryOrder } from '../../src/data/stream/order';
import { BatchReader } from '../../src/data/stream/reader';
import { StreamDataError, type EntryReader } from '../../src/data/stream/types';
import { SETS_LAYOUT, writeNumberedSets } from './helpers';

const N = 10_000;
let src: H5Source;
let cleanup: () => void;

beforeAll(async () => {
  const f = await writeNumberedSets(N, [5000]);
  cleanup = f.cleanup;
  src = await openNodeH5(f.path);
});
afterAll(() => {
  src?.close();
  cleanup?.();
});

function checkSets(p: ReturnType<JaggedSetsReader['read']>) {
  for (let s = 0; s < p.entries.length; s++) {
    const k = p.entries[s];
    expect(p.targets[s]).toBe(k);
    expect(p.offsets[s + 1] - p.offsets[s]).toBe(1 + (k % 5));
    expect(p.values[p.offsets[s] * 2]).toBeCloseTo(k, 3);
    expect(p.values[p.offsets[s] * 2 + 1]).toBe(-k);
  }
}

describe('jagged sets reader', () => {
  it('reads exactly the entries asked for, as CSR, from scattered runs', () => {
    const r = new JaggedSetsReader(src, SETS_LAYOUT, '/target');
    expect(r.entries).toBe(N);
    const p = r.read(Uint32Array.of(9999, 3, 4, 5, 700, 3));
    expect(Array.from(p.entries)).toEqual([3, 4, 5, 700, 9999]);
    checkSets(p);
  });
});

describe('batch reader', () => {
  it('streams shuffled epochs of exactly the planned entries, reading ahead', async () => {
    const r = new JaggedSetsReader(src, SETS_LAYOUT, '/target');
    const order = new EntryOrder({ range: { start: 0, end: 4000 }, shuffle: true, seed: 1, batch: 500 });
    const plan = new EntryOrder({ range: { start: 0, end: 4000 }, shuffle: true, seed: 1, batch: 500 });
    const reader = new BatchReader(r, order, { prefetch: 2 });
    const seen = new Set<number>();
    for (let b = 0; b < 8; b++) {
      const batch = (await reader.next())!;
      const planned = Array.from(plan.next()!.entries).sort((x, y) => x - y);
      expect(Array.from(batch.entries)).toEqual(planned);
      checkSets(batch.payload);
      batch.entries.forEach((e) => seen.add(e));
      await new Promise((res) => setTimeout(res, 5)); // let the read-ahead run
    }
    expect(seen.size).toBe(4000);
    const s = reader.stats();
    expect(s.epoch).toBe(1);
    expect(s.buffered).toBeGreaterThan(0);
    expect(s.entriesRead).toBeGreaterThanOrEqual(4000);
    reader.close();
  });

  it('fails the batch holding a corrupt entry, naming file, dataset and entry; skipping it continues', async () => {
    const r = new JaggedSetsReader(src, SETS_LAYOUT, '/target');
    const order = new EntryOrder({ range: { start: 0, end: N }, shuffle: false, batch: 1000, epochs: 1 });
    const reader = new BatchReader(r, order, { prefetch: 2 });
    for (let b = 0; b < 5; b++) expect((await reader.next())!.place.position).toBe(b * 1000);
    const err = await reader.next().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StreamDataError);
    const e = err as StreamDataError;
    expect([e.file, e.dataset, e.entry]).toEqual(['sets.h5', '/sets/x0', 5000]);
    expect(e.message).toMatch(/sets\.h5 \/sets\/x0, entry 5000: value NaN/);
    // it stays failed until the entry is skipped
    await expect(reader.next()).rejects.toThrow(/entry 5000/);
    reader.skip(5000);
    const b = (await reader.next())!;
    expect(b.place.position).toBe(5000);
    expect(b.skipped).toBe(1);
    expect(b.entries.length).toBe(999);
    expect(b.entries[0]).toBe(5001);
    let rest = 0;
    for (let x = await reader.next(); x; x = await reader.next()) rest += x.entries.length;
    expect(rest).toBe(4000);
    expect(reader.stats().skippedEntries).toBe(1);
  });

  it('finds the entry by bisection when the reader cannot name it', async () => {
    const bad = 37;
    const opaque: EntryReader<number[]> = {
      file: 'opaque.h5',
      entries: 100,
      read(entries) {
        if (entries.includes(bad)) throw new Error('H5Dread failed: corrupt chunk');
        return Array.from(entries);
      },
    };
    const reader = new BatchReader(opaque, new EntryOrder({ range: { start: 0, end: 100 }, shuffle: true, seed: 4, batch: 64 }), {
      prefetch: 0,
    });
    let err: unknown = null;
    for (let i = 0; i < 3 && !err; i++)
      err = await reader.next().then(
        () => null,
        (e: unknown) => e,
      );
    expect((err as StreamDataError).entry).toBe(bad);
    expect((err as StreamDataError).message).toMatch(/opaque\.h5, entry 37: H5Dread failed: corrupt chunk/);
  });
});
