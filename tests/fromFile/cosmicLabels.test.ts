import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataFileError } from '../../src/data/errors';
import { writeLarcv3File } from '../../tools/writers/nodeWriters';
import type { Larcv3Spec } from '../../tools/writers/larcv3Encode';
import { densifyPlanes, isPlaneData, MAX_DENSE_PLANE_BYTES, type PlaneData } from '../../src/tasks/cosmic/planes';
import { syntheticPlanes } from '../../src/tasks/cosmic/synthetic';
import { payloadNotes } from '../../src/tasks/fromFile/load';
import { tmpDir } from '../data/fixtures';
import { cosmicFile, readAsApp } from './helpers';

const t = tmpDir();
afterAll(() => t.cleanup());

// the file cosmicFile writes: 4 synthetic events of 3 planes, 16×16
const truth = syntheticPlanes({ events: 4, size: 16, seed: 11 });
const HW = 16 * 16;
const isLabel = (title: string) => title.includes('"cosmicseg"');

async function dataError(f: () => Promise<unknown>): Promise<DataFileError> {
  try {
    await f();
  } catch (e) {
    if (e instanceof DataFileError) return e;
    throw new Error(`expected a DataFileError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
  throw new Error('expected a DataFileError, nothing was thrown');
}

describe('cosmic label planes are paired with image planes by projection id', () => {
  it('an extra label projection is ignored with a note, the others pair by id', async () => {
    // label projections 0, 1, 2 and 5 (a copy of 2): by position the counts differ (3 vs 4)
    const p = await cosmicFile(t.dir, 'extra.h5', (pl, _e, q) => (q === 2 ? [pl, { ...pl, meta: { ...pl.meta, projectionId: 5 } }] : pl));
    const { payload, data } = await readAsApp(p, isLabel);
    expect(isPlaneData(data)).toBe(true);
    const d = data as unknown as PlaneData;
    expect(Array.from(d.labels)).toEqual(Array.from(truth.labels));
    expect(d.images).toEqual(truth.images);
    expect(payloadNotes(payload)).toEqual(['label projection 5 of "cosmicseg" has no image plane in "wire" and is ignored']);
    expect(d.notes).toEqual(payloadNotes(payload));
  });

  it('a label producer lacking an image projection is an error naming file, producer, projection and entry (not a shifted pairing)', async () => {
    // label projections 1, 2, 3: by position image 0 would get the labels of projection 1
    const p = await cosmicFile(t.dir, 'shifted.h5', (pl, _e, q) => (q === 0 ? { ...pl, meta: { ...pl.meta, projectionId: 3 } } : pl));
    const e = await dataError(() => readAsApp(p, isLabel));
    expect(e.file).toBe('shifted.h5');
    expect(e.dataset).toBe('/Data/sparse2d_cosmicseg_group/voxel_extents');
    expect(e.message).toContain(
      'label producer "cosmicseg" has no projection 0 (it has 1, 2, 3), but image producer "wire" has voxels there, first in entry 0',
    );
  });

  it('a label producer with no voxels at all is an error naming file, producer and entries', async () => {
    const p = await cosmicFile(t.dir, 'nolabels.h5', (pl) => ({ ...pl, ids: [], values: [] }));
    const e = await dataError(() => readAsApp(p, isLabel));
    expect(e.code).toBe('missing-dataset');
    expect(e.file).toBe('nolabels.h5');
    expect(e.dataset).toBe('/Data/sparse2d_cosmicseg_group/voxels');
    expect(e.message).toContain(
      'label producer "cosmicseg" has no voxels in entries 0..3, where image producer "wire" has voxels (first in entry 0): every pixel would train as background',
    );
  });

  it('planes with image voxels but no label voxels train as background, counted and named in the notes', async () => {
    const emptied = new Set(['1/2', '3/2', '3/0']);
    const p = await cosmicFile(t.dir, 'holes.h5', (pl, e, q) => (emptied.has(`${e}/${q}`) ? { ...pl, ids: [], values: [] } : pl));
    const { payload, data } = await readAsApp(p, isLabel);
    const d = data as unknown as PlaneData;
    // expected from the synthetic truth: lit image planes, and those left without label pixels
    let lit = 0;
    const unlabelled: string[] = [];
    for (let e = 0; e < 4; e++) {
      for (let q = 0; q < 3; q++) {
        const o = (e * 3 + q) * HW;
        if (!truth.images.subarray(o, o + HW).some((v) => v !== 0)) continue;
        lit++;
        if (emptied.has(`${e}/${q}`) || !truth.labels.subarray(o, o + HW).some((v) => v !== 0))
          unlabelled.push(`entry ${e} projection ${q}`);
      }
    }
    expect(unlabelled.length).toBeGreaterThanOrEqual(3);
    expect(payloadNotes(payload)).toEqual([
      `${unlabelled.length} of ${lit} planes with image voxels have no "cosmicseg" label voxels and train as all background (${unlabelled.join(', ')})`,
    ]);
    const o = (1 * 3 + 2) * HW;
    expect(d.labels.subarray(o, o + HW).every((v) => v === 0)).toBe(true);
    expect(d.labels.subarray(0, HW)).toEqual(Uint8Array.from(truth.labels.subarray(0, HW)));
  });

  it('a label value outside 0, 1, 2 names the file, the label dataset, the entry and the projection', async () => {
    const p = await cosmicFile(t.dir, 'badlabel.h5', (pl, e, q) =>
      e === 2 && q === 1 ? { ...pl, values: Array.from(pl.values, (v, k) => (k === 0 ? 3 : v)) } : pl,
    );
    const e = await dataError(() => readAsApp(p, isLabel));
    expect(e.file).toBe('badlabel.h5');
    expect(e.dataset).toBe('/Data/sparse2d_cosmicseg_group/voxels');
    expect(e.message).toContain('label 3 in entry 2, projection 1');
  });
});

describe('image grids too large to densify', () => {
  it('a 65536×65536 grid is a DataFileError with the grid, the bytes it needs and the limit (not a RangeError)', async () => {
    const n = 65536;
    const plane = (id: number, v: number) => ({
      meta: { valid: true, projectionId: id, imageSizes: [n, n], numberOfVoxels: [n, n], origin: [0, 0] },
      ids: [5, n * n - 1],
      values: [v, v],
    });
    const spec: Larcv3Spec = {
      events: [
        { run: 1, subrun: 1, event: 0 },
        { run: 1, subrun: 1, event: 1 },
      ],
      products: [
        { type: 'sparse2d', producer: 'wire', entries: [0, 1].map(() => [0, 1, 2].map((q) => plane(q, 1.5))) },
        { type: 'sparse2d', producer: 'cosmicseg', entries: [0, 1].map(() => [0, 1, 2].map((q) => plane(q, 1))) },
      ],
    };
    const p = join(t.dir, 'huge-grid.h5');
    await writeLarcv3File(p, spec);
    const e = await dataError(() => readAsApp(p, isLabel));
    expect(e.file).toBe('huge-grid.h5');
    expect(e.dataset).toBe('/Data/sparse2d_wire_group/image_meta');
    const bytes = 2 * 3 * n * n * 5;
    expect(e.message).toContain(
      `the 65536×65536 grid of sparse2d "wire" (3 planes × 2 entries) needs 120 GiB (${bytes} bytes) as dense float32 images + uint8 labels`,
    );
    expect(e.message).toContain(`at most 2 GiB (${MAX_DENSE_PLANE_BYTES} bytes)`);
  });

  it('densifyPlanes itself refuses the allocation with the same numbers', () => {
    const none = { ids: [], values: [] };
    expect(() => densifyPlanes([[none]], [[none]], [65536, 65536])).toThrow(
      /1 events × 1 planes of a 65536×65536 grid need 20 GiB \(21474836480 bytes\).*at most 2 GiB/,
    );
  });
});
