import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectKind } from '../../src/data/detect';
import { openNodeH5 } from '../../src/data/h5/node';
import type { H5Source } from '../../src/data/h5/source';
import { readCluster2dEntries, readSparse2dEntries } from '../../src/data/larcv3/reader';
import { readSpanetEvents } from '../../src/data/spanet/reader';
import { denseToLarcv3 } from '../../src/data/writers/denseToLarcv3';
import { isHitsData } from '../../src/tasks/clustering/data';
import { isPlaneData } from '../../src/tasks/cosmic/planes';
import { syntheticPlanes } from '../../src/tasks/cosmic/synthetic';
import { parseSetsTaskData } from '../../src/tasks/deepsets/data';
import { resolveFileData } from '../../src/tasks/fromFile/convert';
import { trainingOptions } from '../../src/tasks/fromFile/options';
import type { TaskData } from '../../src/tasks/types';
import { larcv3Fixture, spanetFixture, smallLarcv3Spec, tmpDir } from '../data/fixtures';

const tmp = tmpDir();
let larcv: H5Source;
let cosmic: H5Source;
let spanet: H5Source;
const planes = syntheticPlanes({ events: 3, size: 16, seed: 5 });

beforeAll(async () => {
  larcv = await openNodeH5(await larcv3Fixture(tmp.dir, 'l.h5', smallLarcv3Spec()));
  cosmic = await openNodeH5(await larcv3Fixture(tmp.dir, 'c.h5', denseToLarcv3(planes, 'sbndwire', 'sbnd_cosmicseg')));
  spanet = await openNodeH5(await spanetFixture(tmp.dir, 's.h5'));
});
afterAll(() => tmp.cleanup());

describe('training options from a file layout', () => {
  it('offers cosmic tagging for an image + label sparse2d pair and clustering for cluster products', () => {
    const opts = trainingOptions(detectKind(cosmic));
    expect(opts.map((o) => o.taskId)).toEqual(['cosmic-uresnet']);
    expect(opts[0].request).toMatchObject({ imageProducer: 'sbndwire', labelProducer: 'sbnd_cosmicseg', entries: 3 });
    const l = trainingOptions(detectKind(larcv)).map((o) => `${o.taskId}:${o.request.kind}`);
    expect(l).toContain('oc-clustering:larcv3-clusters');
    expect(l).toContain('cosmic-uresnet:larcv3-segmentation');
  });

  it('offers SPANet and one Deep Set per regression and classification of a SPANet file', () => {
    const s = detectKind(spanet);
    if (s.kind !== 'spanet') throw new Error('not spanet');
    const opts = trainingOptions(s);
    expect(opts[0].taskId).toBe('spanet');
    expect(opts.filter((o) => o.taskId === 'deepsets')).toHaveLength(s.layout.regressions.length + s.layout.classifications.length);
  });
});

describe('file data → task data', () => {
  it('larcv3 image + label producers densify back to the planes they were written from', () => {
    const range = { start: 0, end: 3 };
    const out = resolveFileData({
      kind: 'file:larcv3-segmentation', file: 'c.h5',
      image: readSparse2dEntries(cosmic, 'sbndwire', range), label: readSparse2dEntries(cosmic, 'sbnd_cosmicseg', range),
    } as unknown as TaskData);
    expect(isPlaneData(out)).toBe(true);
    const p = out as unknown as typeof planes;
    expect(Array.from(p.labels)).toEqual(Array.from(planes.labels));
    expect(p.images).toEqual(planes.images);
  });

  it('cluster2d voxels become clustering hits: one event per entry and plane, ids from clusters', () => {
    const clusters = readCluster2dEntries(larcv, 'particle', { start: 0, end: 2 });
    const out = resolveFileData({ kind: 'file:larcv3-clusters', file: 'l.h5', clusters } as unknown as TaskData);
    expect(isHitsData(out)).toBe(true);
    const h = out as unknown as import('../../src/tasks/clustering/data').HitsData;
    const rows = clusters.planes.reduce((s, pl) => s + pl.voxels.offsets[2], 0);
    expect(h.objectId.length).toBe(rows);
    expect(h.width).toBe(3);
    expect(h.eventOffsets.length - 1).toBeLessThanOrEqual(2 * clusters.planes.length);
    // Coordinates scaled by the grid stay in [0, 1); each event's ids match its clusters.
    for (let i = 0; i < h.objectId.length; i++) {
      expect(h.features[3 * i]).toBeGreaterThanOrEqual(0);
      expect(h.features[3 * i]).toBeLessThan(1);
    }
    const pl = clusters.planes[0];
    const n0 = pl.voxels.offsets[1];
    expect(Array.from(h.objectId.subarray(0, n0))).toEqual(Array.from(pl.clusterIndex.subarray(0, n0), (c) => c + 1));
  });

  it('SPANet jets become Deep Sets, with a regression or a relabelled classification target', () => {
    const events = readSpanetEvents(spanet);
    const s = detectKind(spanet);
    if (s.kind !== 'spanet') throw new Error('not spanet');
    const source = s.layout.sources.find((x) => x.kind === 'sequential')!.name;
    const reg = s.layout.regressions[0];
    const sets = parseSetsTaskData(resolveFileData({
      kind: 'file:spanet-sets', file: 's.h5', events,
      request: { kind: 'spanet-sets', source, target: reg, targetKind: 'regression', events: 40 },
    } as unknown as TaskData));
    const src = events.sources.find((x) => x.name === source)!;
    const finite = Array.from(events.regressions[reg]).filter(Number.isFinite).length;
    expect(sets.offsets.length - 1).toBe(finite);
    expect(sets.width).toBe(src.data.width);
    if (finite === events.regressions[reg].length) expect(sets.values).toEqual(src.data.values);

    const cls = s.layout.classifications[0];
    const c = parseSetsTaskData(resolveFileData({
      kind: 'file:spanet-sets', file: 's.h5', events,
      request: { kind: 'spanet-sets', source, target: cls, targetKind: 'classification', events: 40 },
    } as unknown as TaskData));
    expect(c.targets).toBeInstanceOf(Int32Array);
    expect(Math.max(...c.targets)).toBe(c.numClasses! - 1);
  });

  it('task-format data passes through unchanged', () => {
    const d = { kind: 'hits', whatever: 1 } as unknown as TaskData;
    expect(resolveFileData(d)).toBe(d);
  });
});
