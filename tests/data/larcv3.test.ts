import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNodeH5 } from '../../src/data/h5/node';
import type { H5Source } from '../../src/data/h5/source';
import {
  Larcv3Reader,
  readCluster2dEntries,
  readCluster3dEntries,
  readImage2dEntries,
  readParticleEntries,
  readSparse2dEntries,
  readSparse3dEntries,
} from '../../src/data/larcv3/reader';
import { coordsToId, idToCoords, totalVoxels } from '../../src/data/larcv3/meta';
import { checkRagged, raggedRow } from '../../src/data/ragged';
import type { ClusterPlane, ImagePlane, Larcv3Spec, ParticleSpec, SparsePlane } from '../../tools/writers/larcv3Encode';
import { larcv3Fixture, smallLarcv3Spec, tmpDir } from './fixtures';

let t: ReturnType<typeof tmpDir>;
let spec: Larcv3Spec;
let src: H5Source;

function product<T>(type: string, producer: string): T[][] {
  const p = spec.products.find((x) => x.type === type && x.producer === producer);
  if (!p) throw new Error(`no ${type}/${producer} in spec`);
  return p.entries as T[][];
}

beforeAll(async () => {
  t = tmpDir();
  spec = smallLarcv3Spec(11);
  src = await openNodeH5(await larcv3Fixture(t.dir, 'rt.h5', spec));
});
afterAll(() => {
  src?.close();
  t?.cleanup();
});

describe('larcv3 meta helpers', () => {
  it('voxel id is row-major, last axis fastest', () => {
    const dims = [4, 5, 6];
    expect(coordsToId([1, 2, 3], dims)).toBe(1 * 30 + 2 * 6 + 3);
    const out = [0, 0, 0];
    idToCoords(1 * 30 + 2 * 6 + 3, dims, out);
    expect(out).toEqual([1, 2, 3]);
  });
});

describe('larcv3 round trip through writer and reader', () => {
  it('has the real larcv3 layout', () => {
    expect(src.info('/Events/event_id').dtypeText).toBe('{run: <i8, subrun: <i8, event: <i8}');
    const ext = src.info('/Data/sparse2d_data_group/extents');
    expect(ext.dtypeText).toBe('{first: <u8, N: <u4}');
    expect(ext.dtype.size).toBe(16);
    expect(src.info('/Data/sparse2d_data_group/voxel_extents').dtypeText).toBe('{first: <u8, N: <u4, ID: <u4}');
    expect(src.info('/Data/sparse2d_data_group/voxels').dtypeText).toBe('{id: <u8, value: <f4}');
    const meta = src.info('/Data/sparse2d_data_group/image_meta');
    expect(meta.dtypeText).toBe('{valid: <u1, projection_id: <u8, image_sizes: <f8[2], number_of_voxels: <u8[2], origin: <f8[2]}');
    expect(meta.dtype.size).toBe(72);
    expect(src.info('/Data/sparse3d_data_group/image_meta').dtype.size).toBe(96);
    expect(src.info('/Data/particle_mctruth_group/particles').dtype.size).toBe(344);
    expect(src.info('/Data/cluster2d_particle_group/cluster_extents').shape[0]).toBeGreaterThan(0);
    const r = new Larcv3Reader(src);
    expect(r.numEntries).toBe(6);
    expect(() => r.validate()).not.toThrow();
    expect(
      r
        .products()
        .map((p) => `${p.type}/${p.producer}`)
        .sort(),
    ).toEqual(
      [
        'cluster2d/particle',
        'cluster3d/particle',
        'image2d/coarse',
        'particle/mctruth',
        'sparse2d/data',
        'sparse2d/label',
        'sparse3d/data',
      ].sort(),
    );
    const ids = r.eventIds();
    expect(Array.from(ids.event)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  function checkSparse(type: 'sparse2d' | 'sparse3d', producer: string) {
    const want = product<SparsePlane>(type, producer);
    const got =
      type === 'sparse2d'
        ? readSparse2dEntries(src, producer, { start: 0, end: 6 })
        : readSparse3dEntries(src, producer, { start: 0, end: 6 });
    const nPlanes = want[0]!.length;
    expect(got.planes.length).toBe(nPlanes);
    let total = 0;
    for (let p = 0; p < nPlanes; p++) {
      const plane = got.planes[p]!;
      const dim = type === 'sparse2d' ? 2 : 3;
      expect(plane.voxels.width).toBe(dim + 1);
      expect(checkRagged(plane.voxels)).toBeNull();
      for (let e = 0; e < 6; e++) {
        const w = want[e]![p]!;
        expect(plane.metas[e]).toEqual({ ...w.meta, valid: true });
        const rows = raggedRow(plane.voxels, e);
        expect(rows.length / (dim + 1)).toBe(w.ids.length);
        for (let k = 0; k < w.ids.length; k++) {
          const coords = Array.from(rows.subarray(k * (dim + 1), k * (dim + 1) + dim));
          expect(coordsToId(coords, w.meta.numberOfVoxels)).toBe(w.ids[k]);
          expect(rows[k * (dim + 1) + dim]).toBeCloseTo(w.values[k]!, 4);
        }
        total += w.ids.length;
      }
    }
    expect(total).toBeGreaterThan(20);
  }
  it('sparse2d (data and label planes)', () => {
    checkSparse('sparse2d', 'data');
    checkSparse('sparse2d', 'label');
    const labels = readSparse2dEntries(src, 'label', { start: 0, end: 6 }).planes[0]!.voxels;
    const classes = new Set<number>();
    for (let i = 2; i < labels.values.length; i += 3) classes.add(labels.values[i]!);
    expect([...classes].every((c) => c === 0 || c === 1 || c === 2)).toBe(true);
  });
  it('sparse3d', () => checkSparse('sparse3d', 'data'));

  function checkCluster(type: 'cluster2d' | 'cluster3d') {
    const want = product<ClusterPlane>(type, 'particle');
    const got =
      type === 'cluster2d'
        ? readCluster2dEntries(src, 'particle', { start: 0, end: 6 })
        : readCluster3dEntries(src, 'particle', { start: 0, end: 6 });
    expect(got.planes.length).toBe(want[0]!.length);
    got.planes.forEach((plane, p) => {
      const dim = plane.dim;
      let row = 0;
      for (let e = 0; e < 6; e++) {
        const w = want[e]![p]!;
        expect(plane.clusterOffsets[e + 1]! - plane.clusterOffsets[e]!).toBe(w.clusters.length);
        w.clusters.forEach((c, ci) => {
          const idx = plane.clusterOffsets[e]! + ci;
          expect(plane.clusterIds[idx]).toBe(c.id);
          expect(plane.clusterSizes[idx]).toBe(c.ids.length);
          for (let k = 0; k < c.ids.length; k++, row++) {
            expect(plane.ids[row]).toBe(c.ids[k]);
            expect(plane.clusterIndex[row]).toBe(ci);
            expect(plane.voxels.values[row * (dim + 2) + dim]).toBeCloseTo(c.values[k]!, 4);
          }
        });
        expect(plane.voxels.offsets[e + 1]).toBe(row);
      }
    });
  }
  it('cluster2d', () => checkCluster('cluster2d'));
  it('cluster3d', () => checkCluster('cluster3d'));

  it('image2d', () => {
    const want = product<ImagePlane>('image2d', 'coarse');
    const got = readImage2dEntries(src, 'coarse', { start: 0, end: 6 });
    expect(got.planes.length).toBe(3);
    for (let p = 0; p < 3; p++)
      for (let e = 0; e < 6; e++) {
        const img = raggedRow(got.planes[p]!.images, e);
        expect(img.length).toBe(totalVoxels(want[e]![p]!.meta));
        expect(Array.from(img)).toEqual(Array.from(want[e]![p]!.values as Float32Array));
      }
    expect(got.planes[0]!.images.values.some((v) => v > 0)).toBe(true);
  });

  it('particle', () => {
    const want = product<ParticleSpec>('particle', 'mctruth');
    const got = readParticleEntries(src, 'mctruth', { start: 0, end: 6 });
    for (let e = 0; e < 6; e++) {
      expect(got.offsets[e + 1]! - got.offsets[e]!).toBe(want[e]!.length);
      want[e]!.forEach((q, k) => {
        const i = got.offsets[e]! + k;
        expect(got.columns['pdg']![i]).toBe(q.pdg);
        expect(got.columns['px']![i]).toBeCloseTo(q.px, 10);
        expect(got.columns['energy_init']![i]).toBeCloseTo(q.energyInit, 10);
        expect(got.columns['vtx.x']![i]).toBeCloseTo(q.vtx!.x, 10);
        expect(got.columns['end_pt.z']![i]).toBeCloseTo(q.endPt!.z, 10);
        expect(got.process[i]).toBe('primary');
      });
    }
  });
});

describe('larcv3 entry random access', () => {
  it('reading one entry equals the same entry of a full read, for every product', () => {
    const r = new Larcv3Reader(src);
    const full = r.readSparse('sparse2d', 'data', { start: 0, end: 6 });
    for (const e of [4, 0, 5, 2]) {
      const one = r.readSparse('sparse2d', 'data', { start: e, end: e + 1 });
      one.planes.forEach((pl, p) => {
        expect(Array.from(pl.voxels.values)).toEqual(Array.from(raggedRow(full.planes[p]!.voxels, e)));
        expect(pl.metas).toEqual([full.planes[p]!.metas[e]]);
      });
    }
    const mid = r.readClusters('cluster2d', 'particle', { start: 2, end: 4 });
    const fullC = r.readClusters('cluster2d', 'particle', { start: 0, end: 6 });
    const base = fullC.planes[1]!.voxels.offsets[2]!;
    const n = mid.planes[1]!.voxels.offsets[2]!;
    expect(Array.from(mid.planes[1]!.voxels.values)).toEqual(Array.from(fullC.planes[1]!.voxels.values.subarray(base * 4, (base + n) * 4)));
    const p3 = r.readParticles('mctruth', { start: 3, end: 4 });
    const pf = r.readParticles('mctruth', { start: 0, end: 6 });
    expect(Array.from(p3.columns['pdg']!)).toEqual(Array.from(pf.columns['pdg']!.subarray(pf.offsets[3]!, pf.offsets[4]!)));
  });

  it('reads only the rows of the requested entries (slice reads)', () => {
    const calls: [string, number, number][] = [];
    const spy: H5Source = new Proxy(src, {
      get(target, prop, recv) {
        if (prop === 'readRows')
          return (path: string, start: number, count: number) => {
            calls.push([path, start, count]);
            return target.readRows(path, start, count);
          };
        const v = Reflect.get(target, prop, recv);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const r = new Larcv3Reader(spy);
    r.readSparse('sparse2d', 'data', { start: 3, end: 4 });
    const vox = calls.filter((c) => c[0].endsWith('/voxels'));
    expect(vox.length).toBe(1);
    const total = src.info('/Data/sparse2d_data_group/voxels').shape[0]!;
    expect(vox[0]![2]).toBeLessThan(total / 2);
    expect(calls.find((c) => c[0].endsWith('/extents'))).toEqual(['/Data/sparse2d_data_group/extents', 3, 1]);
  });

  it('rejects entry ranges outside the file', () => {
    const r = new Larcv3Reader(src);
    expect(() => r.readSparse('sparse2d', 'data', { start: 5, end: 7 })).toThrowError(/entries 5\.\.7 requested/);
    expect(() => r.readSparse('sparse2d', 'nope', { start: 0, end: 1 })).toThrowError(/no sparse2d product from producer "nope"/);
  });
});
