import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataFileError } from '../../src/data/errors';
import { openNodeH5 } from '../../src/data/h5/node';
import type { H5Source } from '../../src/data/h5/source';
import { readSparse2dEntries } from '../../src/data/larcv3/reader';
import { entryReaderFor } from '../../src/data/stream/plan';
import { Larcv3PlanesReader } from '../../src/data/stream/planesReader';
import { StreamDataError } from '../../src/data/stream/types';
import { payloadPlaneData } from '../../src/tasks/cosmic/payloadPlanes';
import { sliceEvents, voxelPixel, type PlaneData } from '../../src/tasks/cosmic/planes';
import { segmentationPlanes } from '../../src/tasks/fromFile/segmentation';
import { denseToLarcv3, type DensePlanes } from '../../tools/writers/denseToLarcv3';
import type { Larcv3Spec, SparsePlane } from '../../tools/writers/larcv3Encode';
import { writeLarcv3File } from '../../tools/writers/nodeWriters';
import { makeRng } from '../../tools/writers/rng';

// A rectangular grid (time 6 × wire 10) so that a swapped axis shows.
const E = 9;
const P = 3;
const H = 6;
const W = 10;
let dir: string;

function randomPlanes(seed: number): DensePlanes {
  const rng = makeRng(seed);
  const n = E * P * H * W;
  const images = new Float32Array(n);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (rng.next() < 0.3) images[i] = 0.1 + 5 * rng.next();
    // labels also where the image is empty, as in CosmicTagger's files
    if (rng.next() < 0.25) labels[i] = 1 + (rng.next() < 0.3 ? 1 : 0);
  }
  // entry 3, plane 1 has image voxels but no labels (a note in both paths)
  labels.fill(0, (3 * P + 1) * H * W, (3 * P + 2) * H * W);
  return { events: E, planes: P, height: H, width: W, images, labels };
}

/** Writes the spec of randomPlanes(seed) after `edit` and opens it. */
async function file(name: string, edit?: (s: Larcv3Spec) => void): Promise<{ src: H5Source; path: string }> {
  const spec = denseToLarcv3(randomPlanes(5), 'wire', 'seg');
  edit?.(spec);
  const path = join(dir, name);
  await writeLarcv3File(path, spec);
  return { src: await openNodeH5(path), path };
}

const plane = (s: Larcv3Spec, product: number, e: number, p: number): SparsePlane =>
  (s.products[product]!.entries as SparsePlane[][])[e]![p]!;

/** The whole-file path (load.ts → segmentationPlanes) over every entry. */
function wholeFile(src: H5Source): PlaneData {
  const range = { start: 0, end: E };
  return segmentationPlanes(readSparse2dEntries(src, 'wire', range), readSparse2dEntries(src, 'seg', range));
}

function entriesOf(d: PlaneData, entries: ArrayLike<number>): PlaneData {
  const parts = Array.from(entries, (e) => sliceEvents(d, e, e + 1));
  const per = d.planes * d.height * d.width;
  const images = new Float32Array(parts.length * per);
  const labels = new Uint8Array(parts.length * per);
  parts.forEach((q, i) => {
    images.set(q.images, i * per);
    labels.set(q.labels, i * per);
  });
  return { kind: 'planes', events: parts.length, planes: d.planes, height: d.height, width: d.width, images, labels };
}

function streamError(f: () => unknown): StreamDataError {
  try {
    f();
  } catch (e) {
    if (e instanceof StreamDataError) return e;
    throw new Error(`expected a StreamDataError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
  throw new Error('expected a StreamDataError, nothing was thrown');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'planes-reader-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('larcv3 planes reader', () => {
  it('densified on the host, a batch of shuffled entries equals the whole-file planes of those entries', async () => {
    // label planes listed in another order than the image's, one label voxel listed twice
    // (the dense fill keeps the last), one image voxel twice
    const { src } = await file('ok.h5', (s) => {
      for (const ev of s.products[1]!.entries as SparsePlane[][]) ev.reverse();
      const lab = plane(s, 1, 2, 0);
      lab.ids = [...Array.from(lab.ids), lab.ids[0]!];
      lab.values = [...Array.from(lab.values), lab.values[0] === 1 ? 2 : 1];
      const img = plane(s, 0, 6, 2);
      img.ids = [...Array.from(img.ids), img.ids[1]!];
      img.values = [...Array.from(img.values), 42];
    });
    try {
      const whole = wholeFile(src);
      const r = new Larcv3PlanesReader(src, 'wire', 'seg');
      expect(r.entries).toBe(E);
      expect([r.height, r.width]).toEqual([H, W]);
      expect(r.projections).toEqual([0, 1, 2]);
      expect(r.notes).toEqual(whole.notes);
      for (const entries of [[7, 2, 8, 0, 5, 3], [6], [2, 3, 4], [8, 7, 6, 5, 4, 3, 2, 1, 0]]) {
        const p = r.read(Uint32Array.from(entries));
        expect(Array.from(p.entries)).toEqual(entries);
        expect([p.events, p.planes, p.height, p.width]).toEqual([entries.length, P, H, W]);
        expect(Array.from(p.labelValue).every((v) => v === 1 || v === 2)).toBe(true);
        const got = payloadPlaneData(p);
        const want = entriesOf(whole, entries);
        expect(got.images).toEqual(want.images);
        expect(Array.from(got.labels)).toEqual(Array.from(want.labels));
        // indices are distinct within each plane (the GPU scatter relies on it)
        for (let q = 0; q < p.events * p.planes; q++) {
          const idx = p.imageIndex.subarray(p.imageOffsets[q], p.imageOffsets[q + 1]);
          expect(new Set(idx).size).toBe(idx.length);
        }
      }
      // the duplicated voxels are in the data, so the comparison above covered them
      const id = plane(denseSpec(), 0, 6, 2).ids[1]!;
      expect(whole.images[(6 * P + 2) * H * W + voxelPixel(id, H, W)]).toBe(42);
    } finally {
      src.close();
    }
  });

  it('is what entryReaderFor gives for the larcv3-segmentation option', async () => {
    const { src } = await file('plan.h5');
    try {
      const r = entryReaderFor(src, { kind: 'larcv3-segmentation', imageProducer: 'wire', labelProducer: 'seg', entries: E });
      expect(r).toBeInstanceOf(Larcv3PlanesReader);
      const p = r.read(Uint32Array.of(4, 1)) as ReturnType<Larcv3PlanesReader['read']>;
      expect(payloadPlaneData(p).images).toEqual(entriesOf(wholeFile(src), [4, 1]).images);
    } finally {
      src.close();
    }
  });

  it('a voxel id outside the grid at entry 4 is a StreamDataError naming the file, the image voxels and entry 4', async () => {
    const { src } = await file('badid.h5', (s) => {
      const img = plane(s, 0, 4, 1);
      img.ids = [...Array.from(img.ids), H * W + 3];
      img.values = [...Array.from(img.values), 1];
    });
    try {
      const r = new Larcv3PlanesReader(src, 'wire', 'seg');
      expect(r.read(Uint32Array.of(3, 5, 0)).events).toBe(3); // the other entries read
      const e = streamError(() => r.read(Uint32Array.of(6, 4, 1)));
      expect(e.file).toBe('badid.h5');
      expect(e.dataset).toBe('/Data/sparse2d_wire_group/voxels');
      expect(e.entry).toBe(4);
      expect(e.problem).toContain(`voxel id ${H * W + 3}`);
    } finally {
      src.close();
    }
  });

  it('a label outside 0, 1, 2 at entry 5 is a StreamDataError naming the file, the label voxels, entry 5 and what was expected', async () => {
    const { src } = await file('badlabel.h5', (s) => {
      const lab = plane(s, 1, 5, 2);
      lab.values = Array.from(lab.values, (v, k) => (k === 1 ? 3 : v));
    });
    try {
      const r = new Larcv3PlanesReader(src, 'wire', 'seg');
      expect(r.read(Uint32Array.of(4, 6)).events).toBe(2);
      const e = streamError(() => r.read(Uint32Array.of(8, 5, 2)));
      expect(e.file).toBe('badlabel.h5');
      expect(e.dataset).toBe('/Data/sparse2d_seg_group/voxels');
      expect(e.entry).toBe(5);
      expect(e.problem).toBe('label 3 in projection 2 (expected 0, 1 or 2 (background, cosmic, neutrino))');
    } finally {
      src.close();
    }
  });

  it('pairs by projection id over the whole file: a label producer lacking an image projection fails as the whole-file path does', async () => {
    const { src } = await file('shifted.h5', (s) => {
      for (const ev of s.products[1]!.entries as SparsePlane[][]) ev[0]!.meta = { ...ev[0]!.meta, projectionId: 3 };
    });
    try {
      let whole: unknown;
      try {
        wholeFile(src);
      } catch (e) {
        whole = e;
      }
      expect(whole).toBeInstanceOf(DataFileError);
      expect(() => new Larcv3PlanesReader(src, 'wire', 'seg')).toThrow((whole as Error).message);
    } finally {
      src.close();
    }
  });
});

function denseSpec(): Larcv3Spec {
  return denseToLarcv3(randomPlanes(5), 'wire', 'seg');
}
