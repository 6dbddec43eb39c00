/**
 * A dataset far beyond wasm's 32-bit address space: a generic jagged-sets file of 8.8 GB
 * (two float32 element columns of 1.1e9 values each), generated here by h5py. Contiguous
 * layout with no fill value, so only the written regions (the first and last 2,000 sets)
 * take disk space: the file is ~15 MB on disk and takes about a second to write.
 * Before the sliced reads, a whole-column read went to h5wasm's 32-bit `_malloc` unchecked
 * and came back truncated; now every read is cut into ≤ 64 MiB pieces and a read whose result
 * cannot be one JS array is refused with the reason.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNodeH5 } from '../../src/data/h5/node';
import { MAX_READ_BYTES, setReadSliceBytes } from '../../src/data/h5/h5wasmSource';
import type { H5Source } from '../../src/data/h5/source';
import { JaggedSetsReader } from '../../src/data/stream/jagged';
import { EntryOrder } from '../../src/data/stream/order';
import { BatchReader } from '../../src/data/stream/reader';

const PY = '/usr/bin/python3';
const SET = 1000;
const SETS = 1_100_000;
const ELEMENTS = SET * SETS; // 1.1e9 per column, 4.4 GB each
const WRITTEN = 2000;

const GEN = `
import sys, numpy as np, h5py
path, S, N, W = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
E = S * N
with h5py.File(path, 'w') as f:
    x0 = f.create_dataset('sets/x0', shape=(E,), dtype='<f4')
    x1 = f.create_dataset('sets/x1', shape=(E,), dtype='<f4')
    f.create_dataset('sets/offsets', data=np.arange(N + 1, dtype='<i8') * S)
    f.create_dataset('target', data=np.arange(N, dtype='<f4'))
    for lo in (0, N - W):
        k = np.arange(lo, lo + W, dtype=np.float64)
        j = np.arange(S, dtype=np.float64)
        x0[lo * S:(lo + W) * S] = (k[:, None] + 0 * j[None, :]).astype('<f4').ravel()
        x1[lo * S:(lo + W) * S] = np.broadcast_to(j[None, :] / S, (W, S)).astype('<f4').ravel()
`;

const hasH5py = spawnSync(PY, ['-c', 'import h5py'], { encoding: 'utf8' }).status === 0;
let dir = '';
let path = '';
let src: H5Source;
const layout = { features: ['/sets/x0', '/sets/x1'], offsets: '/sets/offsets', mode: 'offsets' as const, sets: SETS, targets: [] };

beforeAll(async () => {
  if (!hasH5py) return;
  dir = mkdtempSync(join(tmpdir(), 'large-h5-'));
  path = join(dir, 'large_sets.h5');
  const r = spawnSync(PY, ['-c', GEN, path, String(SET), String(SETS), String(WRITTEN)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`h5py failed: ${r.stderr}`);
  src = await openNodeH5(path);
}, 120_000);
afterAll(() => {
  src?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasH5py)('a file larger than 4 GB', () => {
  it('is larger than 4 GB and opens', () => {
    expect(statSync(path).size).toBeGreaterThan(8.8e9);
    expect(src.info('/sets/x0').shape).toEqual([ELEMENTS]);
  });

  it('reads entries at its end (element offsets past 2^32 bytes), in pieces when asked for many rows', () => {
    const end = src.readNumeric('/sets/x0', ELEMENTS - 3, 3);
    expect(Array.from(end as Float32Array)).toEqual([SETS - 1, SETS - 1, SETS - 1]);
    const old = setReadSliceBytes(1 << 20);
    try {
      // 2 M values (the written tail) in 8 pieces of 1 MiB, ending at the last element
      const n = WRITTEN * SET;
      const v = src.readNumeric('/sets/x1', ELEMENTS - n, n);
      expect(v.length).toBe(n);
      for (const i of [0, 1, 262_143, 262_144, 262_145, 1_500_001, n - 1]) expect(v[i]).toBeCloseTo(((ELEMENTS - n + i) % SET) / SET, 6);
    } finally {
      setReadSliceBytes(old);
    }
  });

  it('refuses a read whose result cannot be one array instead of truncating it', () => {
    expect(ELEMENTS * 4).toBeGreaterThan(MAX_READ_BYTES);
    expect(() => src.readNumeric('/sets/x0')).toThrow(/4400000000 bytes, more than one read may return/);
  });

  it('streams batches from its end with bounded memory', async () => {
    const r = new JaggedSetsReader(src, layout, '/target');
    expect(r.entries).toBe(SETS);
    const order = new EntryOrder({ range: { start: SETS - WRITTEN, end: SETS }, shuffle: true, seed: 2, batch: 32 });
    const reader = new BatchReader(r, order, { prefetch: 3 });
    const base = process.memoryUsage().rss;
    let peak = base;
    let sets = 0;
    let epochs = 0;
    for (let b = 0; b < 150; b++) {
      const batch = (await reader.next())!;
      const p = batch.payload;
      for (let s = 0; s < p.entries.length; s++) {
        expect(p.targets[s]).toBe(p.entries[s]);
        expect(p.values[p.offsets[s] * 2]).toBe(p.entries[s]);
        expect(p.values[(p.offsets[s] + SET - 1) * 2 + 1]).toBeCloseTo((SET - 1) / SET, 6);
      }
      sets += p.entries.length;
      epochs = batch.place.epoch;
      peak = Math.max(peak, process.memoryUsage().rss);
      if (b % 10 === 0) await new Promise((res) => setTimeout(res, 0));
    }
    reader.close();
    // 2,000 entries per epoch: 62 batches of 32 and one of 16
    expect(epochs).toBe(2);
    expect(sets).toBe(2 * 2000 + (150 - 2 * 63) * 32);
    const growth = (peak - base) / 2 ** 20;
    // 4,768 sets (38 MB of payload) streamed: RSS grows by a few batches plus h5wasm's heap
    // (64 MiB pieces at most), not by what was streamed; 256 MiB bounds it with margin.
    console.log(
      `large.test: RSS ${Math.round(base / 2 ** 20)} MiB before, peak +${growth.toFixed(1)} MiB while streaming ${sets} sets from an ${(statSync(path).size / 1e9).toFixed(1)} GB file`,
    );
    expect(growth).toBeLessThan(256);
  });
});
