/**
 * The jagged readers coalesce a batch's reads (src/data/stream/jagged.ts): the payload and the
 * errors must stay those of reading entry by entry, and the number of h5 reads must stay low
 * (counted through a wrapped source, so a change back to one read per set fails here).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toFloat64 } from '../../src/data/h5/decode';
import { openNodeH5 } from '../../src/data/h5/node';
import type { H5Source } from '../../src/data/h5/source';
import type { DType } from '../../src/data/h5/types';
import type { JaggedSetsLayout } from '../../src/data/generic/sets';
import { coalesceRanges, JaggedHitsReader, JaggedSetsReader, MERGED_READ_BYTES, READ_GAP_BYTES } from '../../src/data/stream/jagged';
import { EntryOrder } from '../../src/data/stream/order';
import { entryRuns } from '../../src/data/stream/runs';
import { StreamDataError } from '../../src/data/stream/types';
import { encodeNumbers } from '../../tools/writers/encode';
import type { DatasetSpec } from '../../tools/writers/h5write';
import { writeH5NodeFile } from '../../tools/writers/nodeWrite';

const F4: DType = { kind: 'float', size: 4, littleEndian: true };
const I8: DType = { kind: 'int', size: 8, signed: true, littleEndian: true };

/** 40,000 sets: far enough apart, three clusters of entries leave gaps above READ_GAP_BYTES in every dataset. */
const N = 40_000;
/** Bad values: NaN in x1 of set BAD_A, NaN in x0 of BAD_B, +Inf target of BAD_T, id 0.5 in the hit ids of BAD_I. */
const BAD_A = 20_000;
const BAD_B = 20_005;
const BAD_T = 30_000;
const BAD_I = 25_003;
/** set k has 0..5 elements (some sets are empty) */
const size = (k: number) => (k * 7919) % 6;

const OFFSETS: JaggedSetsLayout = { features: ['/sets/x0', '/sets/x1'], offsets: '/sets/offsets', mode: 'offsets', sets: N, targets: [] };
const COUNTS: JaggedSetsLayout = { ...OFFSETS, offsets: '/sets/counts', mode: 'counts' };
const HITS: JaggedSetsLayout = {
  features: ['/sets/x0', '/sets/x1', '/sets/object_id'],
  offsets: '/sets/offsets',
  mode: 'offsets',
  sets: N,
  targets: [],
};

let dir = '';
let src: H5Source;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jagged-coalesce-'));
  const offsets = new Float64Array(N + 1);
  for (let k = 0; k < N; k++) offsets[k + 1] = offsets[k] + size(k);
  const E = offsets[N];
  // values that differ in every bit pattern (not only in integers), so a misplaced slice shows
  const x0 = Float32Array.from({ length: E }, (_, i) => Math.sin(i) * 1e3);
  const x1 = Float32Array.from({ length: E }, (_, i) => i / 7);
  const ids = Float64Array.from({ length: E }, (_, i) => (i % 5) - 1);
  const target = Float32Array.from({ length: N }, (_, k) => (k % 11 === 3 ? NaN : Math.cos(k)));
  x1[offsets[BAD_A]] = NaN;
  x0[offsets[BAD_B] + 1] = NaN;
  ids[offsets[BAD_I] + 1] = 0.5;
  target[BAD_T] = Infinity;
  for (const k of [BAD_A, BAD_B, BAD_I]) if (size(k) < 2) throw new Error(`set ${k} needs two elements for the test's bad values`);
  const ds: DatasetSpec[] = [
    { path: '/sets/x0', type: F4, shape: [E], bytes: encodeNumbers(F4, x0) },
    { path: '/sets/x1', type: F4, shape: [E], bytes: encodeNumbers(F4, x1) },
    // object ids as float32 so that a non-integer id can be stored (the reader must refuse it)
    { path: '/sets/object_id', type: F4, shape: [E], bytes: encodeNumbers(F4, ids) },
    { path: '/sets/offsets', type: I8, shape: [N + 1], bytes: encodeNumbers(I8, offsets) },
    {
      path: '/sets/counts',
      type: I8,
      shape: [N],
      bytes: encodeNumbers(
        I8,
        Array.from({ length: N }, (_, k) => size(k)),
      ),
    },
    { path: '/target', type: F4, shape: [N], bytes: encodeNumbers(F4, target) },
  ];
  await writeH5NodeFile(join(dir, 'sets.h5'), ds);
  src = await openNodeH5(join(dir, 'sets.h5'));
}, 60_000);
afterAll(() => {
  src?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The reader's source with its numeric reads counted per dataset. */
function counted(s: H5Source): { src: H5Source; reads: Map<string, number>; total: () => number } {
  const reads = new Map<string, number>();
  const wrapped = new Proxy(s, {
    get(t, p) {
      if (p === 'readNumeric')
        return (path: string, start?: number, count?: number) => {
          reads.set(path, (reads.get(path) ?? 0) + 1);
          return t.readNumeric(path, start, count);
        };
      const v = Reflect.get(t, p, t);
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
  return { src: wrapped, reads, total: () => [...reads.values()].reduce((a, b) => a + b, 0) };
}

/**
 * Reference: the sets read one entry at a time (offsets, every column and the target per
 * entry), distinct entries ascending, each value checked as it is read.
 */
function perEntrySets(s: H5Source, l: JaggedSetsLayout, target: string, entries: Uint32Array) {
  const order = [...new Set(entries)].sort((a, b) => a - b);
  const bound = (e: number): [number, number] => {
    if (l.mode === 'counts') {
      let a = 0;
      if (e > 0) for (const c of toFloat64(s.readNumeric(l.offsets, 0, e))) a += c;
      return [a, a + toFloat64(s.readNumeric(l.offsets, e, 1))[0]];
    }
    const o = toFloat64(s.readNumeric(l.offsets, e, 2));
    return [o[0], o[1]];
  };
  const values: number[] = [];
  const offsets = [0];
  const targets: number[] = [];
  for (const e of order) {
    const [a, b] = bound(e);
    const cols = l.features.map((c) => toFloat64(s.readNumeric(c, a, b - a)));
    for (let i = 0; i < b - a; i++)
      cols.forEach((v, c) => {
        if (!Number.isFinite(v[i])) throw new StreamDataError(s.fileName, l.features[c], e, `value ${v[i]} at element ${a + i}`);
      });
    for (let i = 0; i < b - a; i++) for (const v of cols) values.push(v[i]);
    offsets.push(offsets[offsets.length - 1] + b - a);
    const t = toFloat64(s.readNumeric(target, e, 1))[0];
    targets.push(t);
  }
  for (let k = 0; k < order.length; k++)
    if (Math.abs(targets[k]) === Infinity) throw new StreamDataError(s.fileName, target, order[k], `target ${targets[k]}`);
  return {
    values: Float32Array.from(values),
    offsets: Uint32Array.from(offsets),
    width: l.features.length,
    targets: Float64Array.from(targets),
    entries: Uint32Array.from(order),
  };
}

const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
function expectSame(got: ReturnType<JaggedSetsReader['read']>, want: ReturnType<typeof perEntrySets>) {
  expect(got.width).toBe(want.width);
  expect(Array.from(got.entries)).toEqual(Array.from(want.entries));
  expect(Array.from(got.offsets)).toEqual(Array.from(want.offsets));
  expect(got.values.constructor).toBe(Float32Array);
  expect(got.targets.constructor).toBe(Float64Array);
  // byte for byte (NaN targets included: they are kept, bit pattern and all)
  expect(Buffer.from(bytes(got.values)).equals(Buffer.from(bytes(want.values)))).toBe(true);
  expect(Buffer.from(bytes(got.targets)).equals(Buffer.from(bytes(want.targets)))).toBe(true);
}

const shuffled = (start: number, end: number, batch: number, seed: number) =>
  new EntryOrder({ range: { start, end }, shuffle: true, seed, batch }).next()!.entries;
/** Entries clear of the bad values (those have tests of their own). */
const clean = (e: Uint32Array) => e.filter((k) => ![BAD_A, BAD_B, BAD_T, BAD_I].includes(k));
const emptySets = Array.from({ length: 60 }, (_, k) => k).filter((k) => size(k) === 0);

const ORDERS: [string, Uint32Array][] = [
  ['a shuffled batch of 256 from the whole file', clean(shuffled(0, N, 256, 1))],
  ['a shuffled batch of 64 from a narrow range', clean(shuffled(1000, 1400, 64, 2))],
  ['a shuffled batch with duplicates', Uint32Array.of(...clean(shuffled(0, N, 40, 3)), ...clean(shuffled(0, N, 40, 3)).subarray(0, 10))],
  ['descending consecutive entries', Uint32Array.from({ length: 300 }, (_, i) => 5300 - i)],
  ['the first and the last entry', Uint32Array.of(N - 1, 0)],
  ['only the last entry', Uint32Array.of(N - 1)],
  ['empty sets only', Uint32Array.from(emptySets)],
  ['empty sets between non-empty ones', Uint32Array.of(emptySets[1] + 1, emptySets[0], emptySets[1], emptySets[1] - 1, 1)],
  [
    'three clusters far apart',
    Uint32Array.from([...clean(shuffled(100, 150, 50, 4)), ...shuffled(21_000, 21_050, 50, 5), ...shuffled(39_900, 39_950, 50, 6)]),
  ],
  ['no entries', new Uint32Array(0)],
];

describe('coalesced jagged sets reads', () => {
  for (const [name, entries] of ORDERS)
    it(`${name}: the payload of reading entry by entry, byte for byte (offsets and counts layouts)`, () => {
      for (const layout of [OFFSETS, COUNTS]) {
        const want = perEntrySets(src, layout, '/target', entries);
        expectSame(new JaggedSetsReader(src, layout, '/target').read(entries), want);
        // one read per run (the call pattern before coalescing) gives it too
        expectSame(new JaggedSetsReader(src, layout, '/target', { gapBytes: -1 }).read(entries), want);
      }
    });

  it('a bad value mid-file names its entry: the first run holding one, as entry by entry', () => {
    const r = new JaggedSetsReader(src, OFFSETS, '/target');
    // BAD_A's bad value is in x1 (the second column), BAD_B's in x0: BAD_A still comes first
    const batch = Uint32Array.of(BAD_B, 19_990, BAD_A, 25_000);
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as StreamDataError;
      }
      throw new Error('no error');
    };
    const want = err(() => perEntrySets(src, OFFSETS, '/target', batch));
    const got = err(() => r.read(batch));
    expect(got).toBeInstanceOf(StreamDataError);
    expect([got.file, got.dataset, got.entry]).toEqual([want.file, want.dataset, want.entry]);
    expect([got.file, got.dataset, got.entry]).toEqual(['sets.h5', '/sets/x1', BAD_A]);
    expect(got.message).toMatch(/sets\.h5 \/sets\/x1, entry 20000: value NaN at element \d+/);
    expect(err(() => r.read(Uint32Array.of(BAD_B, 3))).entry).toBe(BAD_B);
    const t = err(() => r.read(Uint32Array.of(29_999, BAD_T, 12)));
    expect([t.dataset, t.entry]).toEqual(['/target', BAD_T]);
    expect(t.message).toMatch(/target Infinity/);
  });

  it('bad values in the rows read through between wanted sets are not checked', () => {
    // the gaps hold BAD_A, BAD_B and BAD_T: they are read (one call per dataset) but not wanted
    const c = counted(src);
    const r = new JaggedSetsReader(c.src, OFFSETS, '/target');
    const entries = Uint32Array.of(BAD_A - 1, BAD_A + 1, BAD_B + 1, BAD_T - 1, BAD_T + 1);
    expectSame(r.read(entries), perEntrySets(src, OFFSETS, '/target', entries));
    expect(c.reads.get('/target')).toBe(1);
  });

  it('counts its h5 reads: one per dataset for nearby sets, one per cluster for far ones', () => {
    const whole = clean(shuffled(0, N, 256, 1));
    const c = counted(src);
    const r = new JaggedSetsReader(c.src, OFFSETS, '/target');
    // 64 sets of 400: one read per dataset
    r.read(ORDERS.find(([n]) => n.includes('narrow range'))![1]);
    expect(Object.fromEntries(c.reads)).toEqual({ '/sets/offsets': 1, '/sets/x0': 1, '/sets/x1': 1, '/target': 1 });
    // 256 of 40,000 sets: gaps of ~160 sets (~1 KiB of offsets, ~1.6 KiB of each f4 column)
    // are read through; each column spans ~100,000 elements (~400 KB), two reads of at most
    // MERGED_READ_BYTES, or one when the cap allows it
    c.reads.clear();
    r.read(whole);
    expect(Object.fromEntries(c.reads)).toEqual({ '/sets/offsets': 2, '/sets/x0': 2, '/sets/x1': 2, '/target': 1 });
    c.reads.clear();
    new JaggedSetsReader(c.src, OFFSETS, '/target', { maxReadBytes: 4 << 20 }).read(whole);
    expect(Object.fromEntries(c.reads)).toEqual({ '/sets/offsets': 1, '/sets/x0': 1, '/sets/x1': 1, '/target': 1 });
    c.reads.clear();
    // three clusters ~20,000 sets apart: 160 KiB of offsets, 80 KiB of targets and ~200 KiB of
    // each column between them, all above READ_GAP_BYTES, so three reads per dataset
    expect(READ_GAP_BYTES).toBeLessThan(20_000 * 4);
    expect(MERGED_READ_BYTES).toBeGreaterThan(250_000); // the two reads per column above
    const clusters = ORDERS.find(([n]) => n === 'three clusters far apart')![1];
    c.reads.clear();
    r.read(clusters);
    expect(Object.fromEntries(c.reads)).toEqual({ '/sets/offsets': 3, '/sets/x0': 3, '/sets/x1': 3, '/target': 3 });
    // the counts layout keeps its index in memory: no index read at all
    const k = counted(src);
    const cr = new JaggedSetsReader(k.src, COUNTS, '/target');
    expect(k.reads.get('/sets/counts')).toBe(1); // summed once at open
    k.reads.clear();
    cr.read(whole);
    expect(Object.fromEntries(k.reads)).toEqual({ '/sets/x0': 2, '/sets/x1': 2, '/target': 1 });
    // what it replaced: per run of consecutive sets, an offsets and a target read, and a read
    // per column unless the run's sets are all empty (~4 reads per set of a shuffled batch)
    const old = counted(src);
    new JaggedSetsReader(old.src, OFFSETS, '/target', { gapBytes: -1 }).read(whole);
    const runs = entryRuns(whole);
    const elements = (r: { start: number; end: number }) =>
      Array.from({ length: r.end - r.start }, (_, i) => size(r.start + i)).reduce((a, b) => a + b, 0);
    expect(runs.length).toBeGreaterThan(200);
    expect(old.total()).toBe(runs.reduce((a, r) => a + 2 + (elements(r) > 0 ? 2 : 0), 0));
  });

  it('hits: the coalesced payload equals one read per run, and a non-integer id names its entry', () => {
    const entries = clean(shuffled(0, 15_000, 200, 7)); // spans under MERGED_READ_BYTES per dataset
    const c = counted(src);
    const got = new JaggedHitsReader(c.src, HITS, '/sets/object_id').read(entries);
    const want = new JaggedHitsReader(src, HITS, '/sets/object_id', { gapBytes: -1 }).read(entries);
    expect(got.entries).toEqual(want.entries);
    expect(got.eventOffsets).toEqual(want.eventOffsets);
    expect(Buffer.from(bytes(got.features)).equals(Buffer.from(bytes(want.features)))).toBe(true);
    expect(got.objectId).toEqual(want.objectId);
    expect(got.objectId.length).toBeGreaterThan(0);
    expect(Object.fromEntries(c.reads)).toEqual({ '/sets/offsets': 1, '/sets/x0': 1, '/sets/x1': 1, '/sets/object_id': 1 });
    const r = new JaggedHitsReader(src, HITS, '/sets/object_id');
    let e: StreamDataError | null = null;
    try {
      r.read(Uint32Array.of(BAD_I - 2, BAD_I + 1, BAD_I));
    } catch (x) {
      e = x as StreamDataError;
    }
    expect(e).toBeInstanceOf(StreamDataError);
    expect([e?.dataset, e?.entry]).toEqual(['/sets/object_id', BAD_I]);
    expect(e?.message).toMatch(/id 0\.5 at hit/);
  });
});

describe('coalesceRanges', () => {
  it('merges across gaps up to the threshold and no further, within the size cap, skipping empty ranges', () => {
    const r = [
      { start: 0, end: 2 },
      { start: 12, end: 13 }, // gap 10
      { start: 24, end: 24 }, // empty: no read
      { start: 24, end: 30 }, // gap 11
      { start: 30, end: 31 }, // gap 0
    ];
    expect(coalesceRanges(r, 10, 100)).toEqual([
      { start: 0, end: 13, first: 0, last: 1 },
      { start: 24, end: 31, first: 3, last: 4 },
    ]);
    expect(coalesceRanges(r, 11, 100)).toEqual([{ start: 0, end: 31, first: 0, last: 4 }]);
    expect(coalesceRanges(r, 11, 20)).toEqual([
      { start: 0, end: 13, first: 0, last: 1 },
      { start: 24, end: 31, first: 3, last: 4 },
    ]);
    expect(coalesceRanges(r, -1, 100).length).toBe(4);
    expect(
      coalesceRanges(
        [
          { start: 0, end: 50 },
          { start: 50, end: 51 },
        ],
        5,
        10,
      ),
    ).toEqual([
      { start: 0, end: 50, first: 0, last: 0 },
      { start: 50, end: 51, first: 1, last: 1 },
    ]);
  });
});
