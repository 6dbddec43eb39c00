/**
 * Tile shapes per adapter and shape class, picked by timing a few candidates at first use.
 *
 * launchMatmul must record synchronously, so the first product of a shape class records
 * with the adapter's default tile and starts a tuning run in the background: each
 * candidate times the class's proxy product (the shape, each side capped) on its own
 * buffers and command buffers, with timestamp queries where the device has them, wall
 * time otherwise. Later products of the class take the winner. Tiles only change speed,
 * never results (every tile sums each element in the same order, see wgsl.ts), so a step
 * recorded before and after tuning gives the same numbers. Choices are kept per GPU
 * context in memory and, in a browser, in localStorage under the adapter's name.
 */
import type { GpuContext } from '../../gpu/context';
import { timeCandidates, type TimedCandidate } from '../../gpu/timeCandidates';
import { loadChoices, saveChoices } from '../../gpu/tunedChoices';
import { matmulKernel } from './pipelines';
import { tileCols, tileName, tileRows, vectorWidths, type MatmulVariant, type TileShape } from './variant';

const r = (wgX: number, wgY: number, tm: number, tn: number): TileShape => ({ wgX, wgY, tm, tn, shared: false });
const s = (wgX: number, wgY: number, tm: number, tn: number): TileShape => ({ wgX, wgY, tm, tn, shared: true });

/**
 * A few shapes of each family. Register tiles suit CPUs (SwiftShader: no barriers, 8×8
 * blocks per thread measured fastest there), staged tiles GPUs; each adapter kind tries
 * its own family and the other family's likeliest shape.
 */
const REGISTER_TILES = [r(4, 4, 8, 8), r(8, 8, 8, 8), r(8, 4, 8, 8), r(8, 8, 4, 4)];
const SHARED_TILES = [s(16, 16, 4, 4), s(8, 8, 4, 4), s(16, 16, 8, 8), s(16, 8, 8, 4)];
export const TILE_CANDIDATES: TileShape[] = [...REGISTER_TILES, ...SHARED_TILES];

export function tileCandidates(g: GpuContext): TileShape[] {
  return isCpuAdapter(g) ? [...REGISTER_TILES, SHARED_TILES[2]] : [...SHARED_TILES, REGISTER_TILES[0], REGISTER_TILES[1]];
}

/** Products smaller than this (multiply-adds) take the default: too short to time, or to matter. */
export const MIN_TUNED_WORK = 128 ** 3;
const TUNE_ROUNDS = 3;

export function isCpuAdapter(g: GpuContext): boolean {
  const a = g.adapter;
  return a.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe/i.test(`${a.vendor} ${a.architecture} ${a.description}`);
}

export function defaultTile(g: GpuContext): TileShape {
  return isCpuAdapter(g) ? REGISTER_TILES[0] : SHARED_TILES[0];
}

/** Shape class: transposes, vec4 layout, and each dimension's power of two. */
export function shapeClass(M: number, N: number, K: number, transA: boolean, transB: boolean): string {
  const v = vectorWidths(M, N, K, transA, transB);
  const lg = (x: number) => Math.ceil(Math.log2(Math.max(1, x)));
  return `${+transA}${+transB}${+v.vecA}${+v.vecB}${+v.vecC}:${lg(M)},${lg(N)},${lg(K)}`;
}

export interface TuneRecord {
  shapeClass: string;
  proxy: [number, number, number];
  /** Milliseconds per product of each candidate tried (by tile name). */
  timesMs: Record<string, number>;
  chosen: string;
  timer: 'timestamp' | 'wall';
}

interface TunerState {
  choices: Map<string, TileShape>;
  pending: Map<string, Promise<void>>;
  records: TuneRecord[];
  enabled: boolean;
}

const states = new WeakMap<GpuContext, TunerState>();
const STORAGE_PREFIX = 'physml.matmulTiles:';

function state(g: GpuContext): TunerState {
  let st = states.get(g);
  if (!st) {
    const fromName = (name: string) => TILE_CANDIDATES.find((c) => tileName(c) === name);
    st = { choices: loadChoices(STORAGE_PREFIX, g, fromName), pending: new Map(), records: [], enabled: true };
    states.set(g, st);
  }
  return st;
}

function save(g: GpuContext, st: TunerState): void {
  saveChoices(STORAGE_PREFIX, g, st.choices, tileName);
}

/** Turns background tuning on or off for a context (off: every product takes the default tile). */
export function setMatmulAutotune(g: GpuContext, enabled: boolean): void {
  state(g).enabled = enabled;
}

/** The tile for this product: the tuned one, else the default (and tuning starts). */
export function matmulTile(g: GpuContext, M: number, N: number, K: number, transA: boolean, transB: boolean): TileShape {
  const st = state(g);
  const key = shapeClass(M, N, K, transA, transB);
  const hit = st.choices.get(key);
  if (hit) return hit;
  if (st.enabled && M * N * K >= MIN_TUNED_WORK && !st.pending.has(key) && !g.deviceLost) {
    const run = tune(g, st, key, M, N, K, transA, transB)
      .catch(() => {
        st.choices.set(key, defaultTile(g));
      })
      .finally(() => st.pending.delete(key));
    st.pending.set(key, run);
  }
  return defaultTile(g);
}

/** Resolves when no tuning run is in flight (the bench waits on it before timing). */
export async function matmulTuningIdle(g: GpuContext): Promise<void> {
  const st = state(g);
  while (st.pending.size) await Promise.all([...st.pending.values()]);
}

/** What the tuner measured and chose so far on this context. */
export function matmulTuneRecords(g: GpuContext): readonly TuneRecord[] {
  return state(g).records;
}

/** The proxy keeps each dimension's vec4 class: capped at a multiple of 4 or one below. */
function proxyDim(x: number, cap: number): number {
  if (x <= cap) return x;
  return x % 4 === 0 ? cap : cap - 1;
}

async function tune(
  g: GpuContext,
  st: TunerState,
  key: string,
  M: number,
  N: number,
  K: number,
  transA: boolean,
  transB: boolean,
): Promise<void> {
  const cap = isCpuAdapter(g) ? 256 : 1024;
  const [pm, pn, pk] = [proxyDim(M, cap), proxyDim(N, cap), proxyDim(K, cap)];
  const vec = vectorWidths(pm, pn, pk, transA, transB);
  const device = g.device;
  const usage = 0x80 | 0x8; // STORAGE | COPY_DST
  const buf = (n: number, label: string) => device.createBuffer({ size: Math.max(16, n * 4), usage, label });
  const a = buf(pm * pk, 'matmul-tune-a');
  const b = buf(pk * pn, 'matmul-tune-b');
  const c = buf(pm * pn, 'matmul-tune-c');
  const uni = device.createBuffer({ size: 32, usage: 0x40 | 0x8, label: 'matmul-tune-params' });
  device.queue.writeBuffer(uni, 0, new Uint32Array([pm, pn, pk, 0, 0, pm * pn, 1, pk]));
  // Candidates whose tile is far larger than the proxy output would mostly idle.
  const fits = tileCandidates(g).filter((t) => tileRows(t) <= 2 * Math.max(pm, 16) && tileCols(t) <= 2 * Math.max(pn, 16));
  const candidates = fits.length ? fits : [defaultTile(g)];
  let timesMs: Record<string, number> = {};
  let timer: TuneRecord['timer'] = 'wall';
  try {
    const runs: TimedCandidate[] = candidates.map((tile) => {
      const variant: MatmulVariant = { transA, transB, bias: false, act: 'none', writeZ: false, ...vec, tile };
      const pipeline = g.pipelines.get(matmulKernel(variant), 'matmul');
      const group = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [uni, a, b, c].map((buffer, i) => ({ binding: i, resource: { buffer } })),
      });
      const grid: [number, number, number] = [Math.ceil(pn / tileCols(tile)), Math.ceil(pm / tileRows(tile)), 1];
      return {
        name: tileName(tile),
        record: (pass: GPUComputePassEncoder) => {
          pass.setPipeline(pipeline);
          pass.setBindGroup(0, group);
          pass.dispatchWorkgroups(...grid);
        },
      };
    });
    ({ timesMs, timer } = await timeCandidates(device, runs, TUNE_ROUNDS));
  } finally {
    a.destroy();
    b.destroy();
    c.destroy();
    uni.destroy();
  }
  let best = candidates[0];
  for (const t of candidates) if (timesMs[tileName(t)] < timesMs[tileName(best)]) best = t;
  st.choices.set(key, best);
  st.records.push({ shapeClass: key, proxy: [pm, pn, pk], timesMs, chosen: tileName(best), timer });
  save(g, st);
}
