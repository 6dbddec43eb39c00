/** The clustering task's neighbour-mean op against its f64 reference (tolerances: a mean of
 *  ≤ 4 f32 values is exact to ~1e-7 relative; the backward sums ≤ N terms). */
import { describe, expect, it } from 'vitest';
import { checkForward, checkGradient, ref } from '../helpers/opcheck';
import { testEngine } from '../helpers/engine';
import { uniform } from '../helpers/random';
import { hitPositions, knnGraph, neighbourMeanOp, uploadGraph } from '../../src/tasks/clustering/neighbours';
import { hitsFromClusters } from '../../src/tasks/fromFile/convert';

describe('neighbourMean', () => {
  it('matches the reference in value and gradient (2 events, k = 3)', async () => {
    const e = await testEngine();
    const pos = Float32Array.from(uniform(30 * 2, 3));
    const host = knnGraph(pos, 2, [0, 12, 30], 3);
    expect(host.offsets[30]).toBe(90);
    // neighbours stay inside their event
    for (let i = 0; i < 12; i++) for (let a = host.offsets[i]; a < host.offsets[i + 1]; a++) expect(host.neighbours[a]).toBeLessThan(12);
    const graph = uploadGraph(e, host);
    const h = ref(uniform(30 * 5, 4), [30, 5]);
    await checkForward(e, neighbourMeanOp, [h], { graph }, 1e-6, 1e-6);
    await checkGradient(e, neighbourMeanOp, [h], { graph }, 1e-4, 1e-5);
    graph.dispose();
  });
});

/** Every other hit of the event sorted by full-dimensional distance, ties to the lower index. */
function bruteForceKnn(pos: Float32Array, dims: number, offsets: number[], k: number): number[][] {
  const out: number[][] = [];
  for (let ev = 0; ev + 1 < offsets.length; ev++) {
    for (let i = offsets[ev]; i < offsets[ev + 1]; i++) {
      const c: [number, number][] = [];
      for (let j = offsets[ev]; j < offsets[ev + 1]; j++) {
        if (j === i) continue;
        let d = 0;
        for (let a = 0; a < dims; a++) d += (pos[i * dims + a] - pos[j * dims + a]) ** 2;
        c.push([d, j]);
      }
      c.sort((p, q) => p[0] - q[0] || p[1] - q[1]);
      out.push(c.slice(0, k).map(([, j]) => j));
    }
  }
  return out;
}

describe('knnGraph', () => {
  it('uses every coordinate: in 3-D, hits far apart in z are not neighbours', () => {
    // Two stacks of hits with the same (x, y) but z 0 or 10: a 2-D kNN would mix them.
    const pos = new Float32Array(8 * 3);
    for (let i = 0; i < 8; i++) pos.set([0.01 * (i % 4), 0.02 * (i % 4), i < 4 ? 0 : 10], i * 3);
    const g = knnGraph(pos, 3, [0, 8], 3);
    for (let i = 0; i < 8; i++) {
      const nb = Array.from(g.neighbours.subarray(g.offsets[i], g.offsets[i + 1]));
      expect(
        nb.every((j) => j < 4 === i < 4),
        `hit ${i}: ${nb}`,
      ).toBe(true);
    }
  });

  it('cluster3d hits give the kNN three coordinates (x, y, z), not the first two', () => {
    const hits = {
      kind: 'hits' as const,
      features: Float32Array.from({ length: 5 * 4 }, (_, i) => i),
      width: 4,
      objectId: new Int32Array(5),
      eventOffsets: Uint32Array.from([0, 5]),
      positionDims: 3,
    };
    const { pos, dims } = hitPositions(hits);
    expect(dims).toBe(3);
    expect(Array.from(pos.subarray(3, 6))).toEqual([4, 5, 6]);
    expect(hitPositions({ ...hits, positionDims: undefined }).dims).toBe(2);
    // larcv3 cluster3d → hits marks three position columns
    const plane = {
      dim: 3,
      metas: [{ numberOfVoxels: [10, 10, 10] }],
      clusterIndex: Int32Array.from([0, 1]),
      voxels: { offsets: Uint32Array.from([0, 2]), width: 4, values: Float32Array.from([1, 2, 3, 5, 4, 5, 6, 7]) },
    };
    const c = { file: 'f.h5', product: 'cluster3d', producer: 'p', range: { start: 0, end: 1 }, planes: [plane] };
    expect(hitsFromClusters(c as unknown as Parameters<typeof hitsFromClusters>[0]).positionDims).toBe(3);
  });

  it('equals a full sort at odd sizes, k larger than the event, duplicate points and 1-hit events', () => {
    const pos = Float32Array.from(uniform(41 * 3, 17)).map((v) => Math.round(v * 4) / 4); // many ties
    const offsets = [0, 1, 6, 41];
    for (const k of [1, 3, 7]) {
      const g = knnGraph(pos, 3, offsets, k);
      const want = bruteForceKnn(pos, 3, offsets, k);
      want.forEach((w, i) => expect(Array.from(g.neighbours.subarray(g.offsets[i], g.offsets[i + 1])), `k ${k}, hit ${i}`).toEqual(w));
    }
  });
});
