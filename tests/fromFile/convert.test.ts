import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectKind } from '../../src/data/detect';
import { openNodeH5 } from '../../src/data/h5/node';
import type { H5Source } from '../../src/data/h5/source';
import { readCluster2dEntries, readSparse2dEntries } from '../../src/data/larcv3/reader';
import { readSpanetEvents } from '../../src/data/spanet/reader';
import { denseToLarcv3 } from '../../tools/writers/denseToLarcv3';
import { isHitsData } from '../../src/tasks/clustering/data';
import { isPlaneData } from '../../src/tasks/cosmic/planes';
import { syntheticPlanes } from '../../src/tasks/cosmic/synthetic';
import { parseSetsTaskData } from '../../src/tasks/deepsets/data';
import { resolveFileData } from '../../src/tasks/fromFile/convert';
import { trainingOptions } from '../../src/tasks/fromFile/options';
import type { TaskData } from '../../src/tasks/types';
import { larcv3Fixture, spanetFixture, smallLarcv3Spec, tmpDir } from '../data/fixtures';
import { join } from 'node:path';
import { buildTree } from '../../src/data/h5/tree';
import { jaggedSetsLayouts, readJaggedSets } from '../../src/data/generic/sets';
import { DataFileError } from '../../src/data/errors';
import { jaggedHitsDatasets, jaggedSetsDatasets } from '../../tools/writers/jaggedSets';
import { generateTrackEvents } from '../../src/tasks/clustering/data';
import { loadTaskData } from '../../src/tasks/fromFile/load';
import { readJaggedHits } from '../../src/data/generic/sets';
import { writeH5NodeFile } from '../../tools/writers/nodeWrite';
import { toySets } from '../../src/tasks/deepsets/data';
import { seededRandom } from '../../src/nn/init';

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
      kind: 'file:larcv3-segmentation',
      file: 'c.h5',
      image: readSparse2dEntries(cosmic, 'sbndwire', range),
      label: readSparse2dEntries(cosmic, 'sbnd_cosmicseg', range),
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
    const sets = parseSetsTaskData(
      resolveFileData({
        kind: 'file:spanet-sets',
        file: 's.h5',
        events,
        request: { kind: 'spanet-sets', source, target: reg, targetKind: 'regression', events: 40 },
      } as unknown as TaskData),
    );
    const src = events.sources.find((x) => x.name === source)!;
    const finite = Array.from(events.regressions[reg]).filter(Number.isFinite).length;
    expect(sets.offsets.length - 1).toBe(finite);
    expect(sets.width).toBe(src.data.width);
    if (finite === events.regressions[reg].length) expect(sets.values).toEqual(src.data.values);

    const cls = s.layout.classifications[0];
    const c = parseSetsTaskData(
      resolveFileData({
        kind: 'file:spanet-sets',
        file: 's.h5',
        events,
        request: { kind: 'spanet-sets', source, target: cls, targetKind: 'classification', events: 40 },
      } as unknown as TaskData),
    );
    expect(c.targets).toBeInstanceOf(Int32Array);
    expect(Math.max(...c.targets)).toBe(c.numClasses! - 1);
  });

  it('task-format data passes through unchanged', () => {
    const d = { kind: 'hits', whatever: 1 } as unknown as TaskData;
    expect(resolveFileData(d)).toBe(d);
  });
});

describe('generic HDF5 jagged sets → Deep Sets', () => {
  const toy = toySets(25, seededRandom(9), 30);

  it('finds the sets and both targets, reads them back exactly, and converts them', async () => {
    const path = join(tmp.dir, 'sets.h5');
    await writeH5NodeFile(path, jaggedSetsDatasets(toy.sets, toy.targets));
    const src = await openNodeH5(path);
    const tree = buildTree(src);
    const opts = trainingOptions(detectKind(src, tree), tree);
    expect(
      opts.map((o) => `${o.taskId}:${o.request.kind === 'generic-sets' ? o.request.target + ':' + o.request.targetKind : ''}`).sort(),
    ).toEqual(['deepsets:/label:classification', 'deepsets:/target:regression']);
    const [layout] = jaggedSetsLayouts(tree);
    expect(layout).toMatchObject({ features: ['/sets/x0', '/sets/x1'], offsets: '/sets/counts', mode: 'counts', sets: 25 });
    const read = readJaggedSets(src, layout, '/target');
    expect(read.values).toEqual(toy.sets.values);
    expect(read.offsets).toEqual(toy.sets.offsets);
    const sets = parseSetsTaskData(
      resolveFileData({
        kind: 'file:generic-sets',
        file: 'sets.h5',
        sets: read,
        request: { kind: 'generic-sets', layout, target: '/target', targetKind: 'regression' },
      } as unknown as TaskData),
    );
    expect(sets.targets).toEqual(toy.targets);
    expect(sets.width).toBe(2);
    src.close();
  });

  it('a NaN element feature is refused naming the file and dataset', async () => {
    const path = join(tmp.dir, 'nan-sets.h5');
    const bad = { ...toy.sets, values: Float32Array.from(toy.sets.values) };
    bad.values[7] = NaN; // element 3, feature x1
    await writeH5NodeFile(path, jaggedSetsDatasets(bad, toy.targets));
    const src = await openNodeH5(path);
    const [layout] = jaggedSetsLayouts(buildTree(src));
    let err: unknown;
    try {
      readJaggedSets(src, layout, '/target');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataFileError);
    expect((err as Error).message).toMatch(/nan-sets\.h5/);
    expect((err as Error).message).toMatch(/\/sets\/x1/);
    src.close();
  });
});

describe('generic HDF5 hits → clustering', () => {
  it('finds events of hits with an object id column and reads them with positions first', async () => {
    const tracks = generateTrackEvents({ events: 5, minTracks: 2, maxTracks: 3, layers: 6, noiseHits: 3, seed: 8 });
    const path = join(tmp.dir, 'hits.h5');
    await writeH5NodeFile(path, jaggedHitsDatasets(tracks, ['x', 'y', 'r']));
    const src = await openNodeH5(path);
    const tree = buildTree(src);
    const opt = trainingOptions(detectKind(src, tree), tree).find((o) => o.taskId === 'oc-clustering')!;
    expect(opt.request).toMatchObject({ kind: 'generic-hits', idColumn: '/hits/object_id' });
    // The data worker's read, here called directly.
    const fakeClient = {
      readHits: async (_id: string, layout: never, idColumn: string) => readJaggedHits(src, layout, idColumn),
    } as unknown as import('../../src/data/worker/client').DataWorkerClient;
    const data = resolveFileData(await loadTaskData(fakeClient, 'f1', 'hits.h5', opt));
    expect(isHitsData(data)).toBe(true);
    const h = data as unknown as typeof tracks;
    // Columns reordered x, y, r from the file's alphabetical r, x, y: equal to the generator's x, y, r.
    expect(h.features).toEqual(tracks.features);
    expect(h.objectId).toEqual(tracks.objectId);
    expect(h.eventOffsets).toEqual(tracks.eventOffsets);
    src.close();
  });

  it('a hit coordinate of 3e38 (finite, but it overflows float32 arithmetic) is refused naming file, dataset and hit', async () => {
    const tracks = generateTrackEvents({ events: 3, minTracks: 2, maxTracks: 2, layers: 5, noiseHits: 2, seed: 9 });
    tracks.features[tracks.width * 4] = 3e38; // hit 4, x
    const path = join(tmp.dir, 'huge-hits.h5');
    await writeH5NodeFile(path, jaggedHitsDatasets(tracks, ['x', 'y', 'r']));
    const src = await openNodeH5(path);
    const [layout] = jaggedSetsLayouts(buildTree(src));
    let err: unknown;
    try {
      readJaggedHits(src, layout, '/hits/object_id');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataFileError);
    expect((err as DataFileError).code).toBe('overflow');
    expect((err as Error).message).toMatch(/huge-hits\.h5/);
    expect((err as Error).message).toMatch(/\/hits\/x/);
    expect((err as Error).message).toMatch(/element 4/);
    src.close();
  });
});
