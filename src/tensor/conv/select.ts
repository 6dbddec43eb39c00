/**
 * Direct kernel or implicit GEMM (and which tile), per adapter, product and shape class,
 * picked by timing the candidates at first use, like the matmul tuner (../matmul/autotune.ts).
 *
 * The op records synchronously, so the first product of a class takes the direct kernel
 * (today's path) and starts a tuning run in the background on a proxy of the shape (batch
 * 1, channels and plane capped), on its own buffers. Later products take the winner. The
 * GEMM tiles give the same bits as each other (wgsl.ts); GEMM and direct differ only by the
 * order of the f32 sums (relative error within K·2^-24·Σ|terms|, K the summed length), so
 * a step recorded before and after tuning agrees to that bound. Choices are kept per GPU
 * context in memory and, in a browser, in localStorage under the adapter's name.
 */
import { packUniforms, type GpuContext, type Uniform } from '../../gpu/context';
import type { KernelSource } from '../../gpu/pipelineCache';
import { timeCandidates, type TimedCandidate } from '../../gpu/timeCandidates';
import { loadChoices, saveChoices } from '../../gpu/tunedChoices';
import { isCpuAdapter } from '../matmul/autotune';
import { directLaunch } from './direct';
import { CONV_GEMM_ENTRY, convGemmFits, convGemmLaunch, type ConvShape } from './implicitGemm';
import { convTileName, type ConvGemmKind, type ConvTile } from './variant';

export type ConvEngine = { engine: 'direct' } | { engine: 'gemm'; tile: ConvTile };

const t = (wgX: number, wgY: number, tm: number, tn: number): ConvTile => ({ wgX, wgY, tm, tn });
/**
 * Blocks of 4 columns (pixels): with 8 gathered columns SwiftShader took ~30 s (and, for the
 * strided input gradient, all the memory) to compile one pipeline. 8×4 and 4×4 blocks in
 * 32×32 tiles, a 64×64 tile for GPUs, a 4×128 one for few output channels.
 */
export const CONV_TILES: ConvTile[] = [t(8, 4, 8, 4), t(8, 8, 4, 4), t(16, 16, 4, 4), t(32, 2, 2, 4)];
const DIRECT = 'direct';

/** Products below this many multiply-adds keep the direct kernel: too short to time, or to matter. */
export const MIN_TUNED_MACS = 1 << 24;
const TUNE_ROUNDS = 3;

export interface ConvTuneRecord {
  shapeClass: string;
  proxy: ConvShape;
  /** Milliseconds of each candidate ('direct' or a tile name); Infinity where it failed. */
  timesMs: Record<string, number>;
  chosen: string;
  timer: 'timestamp' | 'wall';
}

type Mode = 'auto' | 'direct' | 'gemm';

interface State {
  choices: Map<string, ConvEngine>;
  pending: Map<string, Promise<void>>;
  records: ConvTuneRecord[];
  mode: Mode;
  /** Tile of mode 'gemm' (tests, bench); null: the tuned tile, else the first candidate. */
  tile: ConvTile | null;
  tuning: boolean;
}

const states = new WeakMap<GpuContext, State>();
const STORAGE_PREFIX = 'physml.convEngines:';

function fromName(name: string): ConvEngine | null {
  if (name === DIRECT) return { engine: 'direct' };
  const tile = CONV_TILES.find((c) => convTileName(c) === name);
  return tile ? { engine: 'gemm', tile } : null;
}

const engineName = (c: ConvEngine) => (c.engine === 'direct' ? DIRECT : convTileName(c.tile));

function state(g: GpuContext): State {
  let st = states.get(g);
  if (!st) {
    st = { choices: loadChoices(STORAGE_PREFIX, g, fromName), pending: new Map(), records: [], mode: 'auto', tile: null, tuning: true };
    states.set(g, st);
  }
  return st;
}

function save(g: GpuContext, st: State): void {
  saveChoices(STORAGE_PREFIX, g, st.choices, engineName);
}

/**
 * 'auto': tuned choice (default). 'direct' / 'gemm': always that engine (tests and the
 * bench compare them), 'gemm' with `tile` or the first candidate; shapes the GEMM path
 * cannot take (convGemmFits) still run direct.
 */
export function setConvEngine(g: GpuContext, mode: Mode, tile: ConvTile | null = null): void {
  const st = state(g);
  st.mode = mode;
  st.tile = tile;
}

/** Background tuning on or off (off: untuned classes keep the direct kernel). */
export function setConvAutotune(g: GpuContext, enabled: boolean): void {
  state(g).tuning = enabled;
}

const lg = (x: number) => Math.ceil(Math.log2(Math.max(1, x)));

/** Shape class: product, kernel, stride, and each GEMM dimension's power of two. */
export function convShapeClass(kind: ConvGemmKind, d: ConvShape): string {
  return `${kind}:k${d.K}s${d.stride}:${lg(d.Cin)},${lg(d.Cout)},${lg(d.N * d.Ho * d.Wo)}`;
}

/** The engine for this product: forced, tuned, or direct while (or instead of) tuning. */
export function convEngine(g: GpuContext, kind: ConvGemmKind, d: ConvShape): ConvEngine {
  const st = state(g);
  const fits = (c: ConvEngine): ConvEngine => (c.engine === 'gemm' && !convGemmFits(g, kind, d, c.tile) ? { engine: 'direct' } : c);
  if (st.mode === 'direct') return { engine: 'direct' };
  const key = convShapeClass(kind, d);
  const hit = st.choices.get(key);
  if (st.mode === 'gemm') return fits({ engine: 'gemm', tile: st.tile ?? (hit?.engine === 'gemm' ? hit.tile : CONV_TILES[0]) });
  if (hit) return fits(hit);
  const macs = d.N * d.Cout * d.Ho * d.Wo * d.Cin * d.K * d.K;
  if (st.tuning && macs >= MIN_TUNED_MACS && !st.pending.has(key) && !g.deviceLost) {
    const run = tune(g, st, key, kind, d)
      .catch(() => {
        st.choices.set(key, { engine: 'direct' });
      })
      .finally(() => st.pending.delete(key));
    st.pending.set(key, run);
  }
  return { engine: 'direct' };
}

/** Resolves when no tuning run is in flight. */
export async function convTuningIdle(g: GpuContext): Promise<void> {
  const st = state(g);
  while (st.pending.size) await Promise.all([...st.pending.values()]);
}

export function convTuneRecords(g: GpuContext): readonly ConvTuneRecord[] {
  return state(g).records;
}

/** Batch 1, channels and plane capped (the kernel, stride and padding kept). */
export function convProxy(g: GpuContext, d: ConvShape): ConvShape {
  const cpu = isCpuAdapter(g);
  const cc = cpu ? 64 : 256;
  const side = cpu ? 32 : 128;
  const H = Math.min(d.H, Math.max(side, d.K));
  const W = Math.min(d.W, Math.max(side, d.K));
  const out = (s: number) => Math.floor((s + 2 * d.pad - d.K) / d.stride) + 1;
  return { ...d, N: 1, Cin: Math.min(d.Cin, cc), Cout: Math.min(d.Cout, cc), H, W, Ho: out(H), Wo: out(W) };
}

/**
 * Times the direct kernel and every GEMM tile that fits on this shape, each on its own
 * buffers (best of `rounds` after a compile-and-first-touch run). Weight-gradient times
 * leave out the reduction of the partials on both sides (the direct kernel has more).
 */
export async function measureConvCandidates(
  g: GpuContext,
  kind: ConvGemmKind,
  p: ConvShape,
  rounds = TUNE_ROUNDS,
): Promise<{ timesMs: Record<string, number>; timer: ConvTuneRecord['timer'] }> {
  const device = g.device;
  const usage = 0x80 | 0x8; // STORAGE | COPY_DST
  const made: GPUBuffer[] = [];
  const buf = (floats: number, label: string) => {
    const b = device.createBuffer({ size: Math.max(16, floats * 4), usage, label });
    made.push(b);
    return b;
  };
  const nx = p.N * p.Cin * p.H * p.W;
  const ny = p.N * p.Cout * p.Ho * p.Wo;
  const nw = p.Cout * p.Cin * p.K * p.K;
  // Operands of each product (bindings 1.. in the order both kernel families take them).
  const inputs =
    kind === 'forward'
      ? [buf(nx, 'x'), buf(nw, 'w')]
      : kind === 'inputGrad'
        ? [buf(ny, 'dy'), buf(nw, 'w')]
        : [buf(ny, 'dy'), buf(nx, 'x')];
  const bias = buf(p.Cout, 'bias');
  const uniformBuffer = (u: Uniform[]) => {
    const data = packUniforms(u);
    const b = device.createBuffer({ size: data.byteLength, usage: 0x40 | 0x8, label: 'conv-tune-params' });
    made.push(b);
    device.queue.writeBuffer(b, 0, data);
    return b;
  };
  const candidates: TimedCandidate[] = [];
  const prepare = (name: string, kernel: KernelSource, entry: string, grid: [number, number, number], buffers: GPUBuffer[]) => {
    const pipeline = g.pipelines.get(kernel, entry);
    const group = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: buffers.map((buffer, i) => ({ binding: i, resource: { buffer } })),
    });
    candidates.push({
      name,
      record: (pass) => {
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(...grid);
      },
    });
  };
  let timesMs: Record<string, number> = {};
  let timer: ConvTuneRecord['timer'] = 'wall';
  try {
    const dl = directLaunch(kind, p, false);
    const dOut = buf(dl.outFloats, 'direct-out');
    const dBufs = kind === 'forward' ? [inputs[0], inputs[1], bias, dOut] : [...inputs, dOut];
    prepare(DIRECT, dl.kernel, dl.entry, dl.grid, [uniformBuffer(dl.uniforms), ...dBufs]);
    for (const tile of CONV_TILES) {
      if (!convGemmFits(g, kind, p, tile)) continue;
      const l = convGemmLaunch(kind, p, tile, false);
      const outFloats = kind === 'forward' ? ny : kind === 'inputGrad' ? nx : l.splits * nw;
      prepare(convTileName(tile), l.kernel, CONV_GEMM_ENTRY, l.grid, [uniformBuffer(l.uniforms), ...inputs, buf(outFloats, 'gemm-out')]);
    }
    ({ timesMs, timer } = await timeCandidates(device, candidates, rounds));
  } finally {
    for (const b of made) b.destroy();
  }
  return { timesMs, timer };
}

/** Direct unless a GEMM tile is faster by 5 % or more: timing noise keeps today's path. */
export function pickConvEngine(timesMs: Record<string, number>): string {
  let best = DIRECT;
  for (const [name, ms] of Object.entries(timesMs)) {
    if (name === DIRECT) continue;
    if (ms < (best === DIRECT ? 0.95 : 1) * (timesMs[best] ?? Infinity)) best = name;
  }
  return best;
}

async function tune(g: GpuContext, st: State, key: string, kind: ConvGemmKind, d: ConvShape): Promise<void> {
  const p = convProxy(g, d);
  const { timesMs, timer } = await measureConvCandidates(g, kind, p);
  const best = pickConvEngine(timesMs);
  st.choices.set(key, fromName(best) ?? { engine: 'direct' });
  st.records.push({ shapeClass: key, proxy: p, timesMs, chosen: best, timer });
  save(g, st);
}
