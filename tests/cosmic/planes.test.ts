import { describe, expect, it } from 'vitest';
import { openNodeH5 } from '../../src/data/h5/node';
import { Larcv3Reader } from '../../src/data/larcv3/reader';
import { planesFromSparse2d } from '../../src/tasks/cosmic/larcv3Planes';
import { densifyPlanes, downsamplePlanes, isPlaneData, type PlaneData } from '../../src/tasks/cosmic/planes';
import { syntheticPlanes } from '../../src/tasks/cosmic/synthetic';
import { classWeightTable } from '../../src/losses/segmentation';
import { makeBatches } from '../../src/tasks/cosmic/batches';

describe('densify sparse planes', () => {
  it('as CosmicTagger: voxel (c0, c1) = (id // nvox[1], id % nvox[1]) lands at [c1, c0], so H = nvox[1] (time), W = nvox[0] (wire)', () => {
    // 2 entries × 2 planes of a 3 (wire) × 4 (time) grid: images 4 high, 3 wide.
    const img = [
      [
        { ids: [0, 5, 11], values: [1, 2, 3] },
        { ids: [7], values: [4] },
      ],
      [
        { ids: [], values: [] },
        { ids: [4], values: [5] },
      ],
    ];
    const lab = [
      [
        { ids: [5, 11], values: [1, 2] },
        { ids: [7], values: [2] },
      ],
      [
        { ids: [], values: [] },
        { ids: [4], values: [1] },
      ],
    ];
    const d = densifyPlanes(img, lab, [3, 4]);
    expect([d.events, d.planes, d.height, d.width]).toEqual([2, 2, 4, 3]);
    const at = (a: ArrayLike<number>, e: number, p: number, time: number, wire: number) => a[((e * 2 + p) * 4 + time) * 3 + wire];
    expect(at(d.images, 0, 0, 0, 0)).toBe(1);
    expect(at(d.images, 0, 0, 1, 1)).toBe(2); // id 5 → c = (1, 1)
    expect(at(d.images, 0, 0, 3, 2)).toBe(3); // id 11 → c = (2, 3) → [3, 2]
    expect(at(d.labels, 0, 0, 3, 2)).toBe(2);
    expect(at(d.images, 0, 1, 3, 1)).toBe(4); // id 7 → c = (1, 3) → [3, 1]
    expect(at(d.labels, 1, 1, 0, 1)).toBe(1); // id 4 → c = (1, 0) → [0, 1]
    expect(Array.from(d.images).filter((v) => v !== 0).length).toBe(5);
    expect(isPlaneData(d)).toBe(true);
  });
  it('rejects ids outside the grid and labels other than 0, 1, 2', () => {
    expect(() => densifyPlanes([[{ ids: [12], values: [1] }]], [[{ ids: [], values: [] }]], [3, 4])).toThrow(/outside/);
    expect(() => densifyPlanes([[{ ids: [], values: [] }]], [[{ ids: [1], values: [3] }]], [3, 4])).toThrow(/label 3/);
  });
});

describe('downsampling by 2^k', () => {
  const d: PlaneData = {
    kind: 'planes',
    events: 1,
    planes: 1,
    height: 4,
    width: 4,
    images: Float32Array.from([1, 0, 0, 0, 0, 3, 0, 0, 0, 0, 2, 2, 0, 0, 2, 2]),
    labels: Uint8Array.from([1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]),
  };
  it('k = 1: images average (empty pixels count), labels max (2 > 1 > 0)', () => {
    const s = downsamplePlanes(d, 1);
    expect([s.height, s.width]).toEqual([2, 2]);
    expect(Array.from(s.images)).toEqual([1, 0, 0, 2]);
    expect(Array.from(s.labels)).toEqual([2, 0, 0, 1]);
  });
  it('k = 2 equals two k = 1 steps', () => {
    const s = downsamplePlanes(d, 2);
    expect(Array.from(s.images)).toEqual([12 / 16].map(Math.fround));
    expect(Array.from(s.labels)).toEqual([2]);
    const twice = downsamplePlanes(downsamplePlanes(d, 1), 1);
    expect(Array.from(twice.images)).toEqual(Array.from(s.images));
  });
  it('k = 0 is the identity; sides that do not divide are refused', () => {
    expect(downsamplePlanes(d, 0)).toBe(d);
    expect(() => downsamplePlanes(d, 3)).toThrow(/cannot downsample/);
  });
});

describe('synthetic events', () => {
  const d = syntheticPlanes({ events: 6, size: 32, seed: 3 });
  it('three planes, labels 0/1/2, every plane of every event has cosmic and neutrino pixels', () => {
    expect(isPlaneData(d)).toBe(true);
    expect(d.planes).toBe(3);
    const hw = 32 * 32;
    for (let n = 0; n < 18; n++) {
      const l = d.labels.subarray(n * hw, (n + 1) * hw);
      expect(
        l.some((v) => v === 1),
        `image ${n} cosmic`,
      ).toBe(true);
      expect(
        l.some((v) => v === 2),
        `image ${n} neutrino`,
      ).toBe(true);
      expect(l.every((v) => v <= 2)).toBe(true);
    }
    // Labelled pixels carry charge; noise is background.
    for (let i = 0; i < d.labels.length; i++) if (d.labels[i]) expect(d.images[i]).toBeGreaterThan(0);
  });
  it('is reproducible from its seed', () => {
    expect(syntheticPlanes({ events: 6, size: 32, seed: 3 }).images).toEqual(d.images);
    expect(syntheticPlanes({ events: 6, size: 32, seed: 4 }).images).not.toEqual(d.images);
  });
  it('batches are contiguous event slices with per-batch "even" weights', () => {
    const b = makeBatches(d, 4, 'even', 3, true);
    expect(b.map((x) => x.events)).toEqual([4, 2]);
    expect(b[1].labels).toEqual(Int32Array.from(d.labels.subarray(4 * 3 * 1024)));
    expect(b[1].classWeights).toEqual(classWeightTable('even', b[1].labels, 3, 3, 1024));
  });
});

describe('larcv3 sparse2d → planes (demo file, reader by the data helper)', () => {
  it('densified pixels equal the voxels the reader returns', async () => {
    const src = await openNodeH5('public/demo/larcv3_demo.h5');
    try {
      const r = new Larcv3Reader(src);
      const range = { start: 0, end: 3 };
      const img = r.readSparse('sparse2d', 'data', range);
      const lab = r.readSparse('sparse2d', 'label', range);
      const d = planesFromSparse2d(img, lab);
      expect(d.planes).toBe(img.planes.length);
      expect(d.events).toBe(3);
      const nvox = img.planes[0].metas[0].numberOfVoxels;
      expect([d.height, d.width]).toEqual([nvox[1], nvox[0]]); // CosmicTagger's dense[plane, c1, c0]
      let checked = 0;
      img.planes.forEach((pl, p) => {
        for (let e = 0; e < 3; e++) {
          for (let k = pl.voxels.offsets[e]; k < pl.voxels.offsets[e + 1]; k++) {
            const [x, y, v] = [pl.voxels.values[k * 3], pl.voxels.values[k * 3 + 1], pl.voxels.values[k * 3 + 2]];
            expect(d.images[((e * d.planes + p) * d.height + y) * d.width + x]).toBe(v); // (c0, c1) = (x, y) → [y, x]
            checked++;
          }
        }
      });
      expect(checked).toBeGreaterThan(100);
      const lit = Array.from(d.images).filter((v) => v !== 0).length;
      expect(lit).toBe(checked); // nothing else is filled
    } finally {
      src.close();
    }
  });
});
