/**
 * Fixed neighbour lists and the mean-aggregation op over them (shaders/oc_neighbours.wgsl).
 * The clustering model's message passing: each hit averages the features of its k nearest
 * hits of the same event in detector coordinates, found once at data load (the detector
 * geometry does not change while training, so no kNN kernel is needed).
 */
import { grid1d } from '../../gpu/grid';
import { SHADERS } from '../../gpu/shaders';
import type { Engine } from '../../tensor/engine';
import { registerOp, type RefTensor } from '../../tensor/registry';
import type { Tensor } from '../../tensor/tensor';

export interface NeighbourGraphHost {
  n: number;
  offsets: Uint32Array;
  neighbours: Uint32Array;
}

export interface NeighbourGraph {
  host: NeighbourGraphHost;
  buffer: Tensor<'u32'>;
  dispose(): void;
}

/**
 * k nearest other hits of the same event by all `dims` coordinates of `pos` ([N, dims]),
 * ties to the lower index. Brute force per event with a bounded top-k insertion list:
 * O(n²·k) per event of n hits, with no per-hit sort.
 */
export function knnGraph(pos: Float32Array, dims: number, eventOffsets: ArrayLike<number>, k: number): NeighbourGraphHost {
  const n = pos.length / dims;
  const offsets = new Uint32Array(n + 1);
  const out: number[] = [];
  const bestD = new Float64Array(k);
  const bestJ = new Int32Array(k);
  for (let ev = 0; ev + 1 < eventOffsets.length; ev++) {
    const h0 = eventOffsets[ev],
      h1 = eventOffsets[ev + 1];
    for (let i = h0; i < h1; i++) {
      let m = 0;
      for (let j = h0; j < h1; j++) {
        if (j === i) continue;
        let d2 = 0;
        for (let c = 0; c < dims; c++) d2 += (pos[i * dims + c] - pos[j * dims + c]) ** 2;
        // j grows, so an equal distance never displaces an earlier (lower) index.
        if (m === k && !(d2 < bestD[k - 1])) continue;
        let a = m < k ? m++ : k - 1;
        while (a > 0 && bestD[a - 1] > d2) {
          bestD[a] = bestD[a - 1];
          bestJ[a] = bestJ[a - 1];
          a--;
        }
        bestD[a] = d2;
        bestJ[a] = j;
      }
      for (let a = 0; a < m; a++) out.push(bestJ[a]);
      offsets[i + 1] = out.length;
    }
  }
  return { n, offsets, neighbours: Uint32Array.from(out) };
}

/** The coordinate columns of hits ([N, dims]): every leading position column, 2 by default. */
export function hitPositions(d: { features: Float32Array; width: number; positionDims?: number }): { pos: Float32Array; dims: number } {
  const dims = Math.min(d.width, d.positionDims ?? 2);
  const n = d.features.length / d.width;
  const pos = new Float32Array(n * dims);
  for (let i = 0; i < n; i++) pos.set(d.features.subarray(i * d.width, i * d.width + dims), i * dims);
  return { pos, dims };
}

export function uploadGraph(e: Engine, h: NeighbourGraphHost): NeighbourGraph {
  const m = h.neighbours.length;
  const rev: number[][] = Array.from({ length: h.n }, () => []);
  for (let i = 0; i < h.n; i++) for (let a = h.offsets[i]; a < h.offsets[i + 1]; a++) rev[h.neighbours[a]].push(i);
  const revOffsets = new Uint32Array(h.n + 1);
  rev.forEach((l, j) => (revOffsets[j + 1] = revOffsets[j] + l.length));
  const data = new Uint32Array(2 * (h.n + 1) + 2 * m);
  data.set(h.offsets, 0);
  data.set(h.neighbours, h.n + 1);
  data.set(revOffsets, h.n + 1 + m);
  data.set(rev.flat(), 2 * (h.n + 1) + m);
  const buffer = e.fromArray(data, [data.length], { dtype: 'u32' }).keep();
  return { host: h, buffer, dispose: () => buffer.dispose() };
}

export interface NeighbourMeanAttrs {
  graph: NeighbourGraph;
}

const uniforms = (g: NeighbourGraph, c: number) =>
  [
    ['u32', g.host.n],
    ['u32', c],
    ['u32', g.host.neighbours.length],
    ['u32', 0],
  ] as ['u32', number][];

export function neighbourMeanRef(h: RefTensor, g: NeighbourGraphHost): RefTensor {
  const c = h.shape[1];
  const out = new Float64Array(h.data.length);
  for (let i = 0; i < g.n; i++) {
    const deg = Math.max(1, g.offsets[i + 1] - g.offsets[i]);
    for (let a = g.offsets[i]; a < g.offsets[i + 1]; a++) {
      for (let ch = 0; ch < c; ch++) out[i * c + ch] += h.data[g.neighbours[a] * c + ch] / deg;
    }
  }
  return { data: out, shape: [...h.shape] };
}

/** h [N, C] → [N, C]: each row the mean of its neighbours' rows (zero without neighbours). */
export const neighbourMeanOp = registerOp<NeighbourMeanAttrs>({
  name: 'neighbourMean',
  differentiable: [true],
  forward(e, [h], { graph }) {
    if (h.rank !== 2 || h.shape[0] !== graph.host.n) throw new Error(`neighbourMean: need [${graph.host.n}, C], got [${h.shape}]`);
    const y = e.empty(h.shape);
    e.gpu.dispatch(
      SHADERS.ocNeighbours,
      'neighbour_mean',
      [graph.buffer.buffer, h.buffer, y.buffer],
      grid1d(h.size),
      uniforms(graph, h.shape[1]),
    );
    return { output: y };
  },
  backward(e, node, dy) {
    const { graph } = node.attrs;
    const dh = e.empty(dy.shape);
    e.gpu.dispatch(
      SHADERS.ocNeighbours,
      'neighbour_mean_backward',
      [graph.buffer.buffer, dy.buffer, dh.buffer],
      grid1d(dy.size),
      uniforms(graph, dy.shape[1]),
    );
    return [dh];
  },
  reference: ([h], { graph }) => neighbourMeanRef(h, graph.host),
});

export const neighbourMean = (h: Tensor<'f32'>, graph: NeighbourGraph): Tensor<'f32'> =>
  h.engine.apply(neighbourMeanOp, [h], { graph }) as Tensor<'f32'>;
