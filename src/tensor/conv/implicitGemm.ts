/**
 * Launchers of the implicit-GEMM conv2d kernels (wgsl.ts) on raw buffers: the op
 * (src/tensor/ops/conv2d.ts) records them through GpuContext.dispatch, the tuner
 * (select.ts) times the same sources and grids on its own buffers.
 */
import type { GpuContext, Uniform } from '../../gpu/context';
import type { KernelSource } from '../../gpu/pipelineCache';
import { noteWork } from '../../gpu/profiler';
import { launchReduce } from '../kernels';
import { convTileCols, convTileRows, convVariantName, type ConvGemmKind, type ConvGemmVariant, type ConvTile } from './variant';
import { convGemmWgsl } from './wgsl';

/** Sizes of one convolution: x [N, Cin, H, W], w [Cout, Cin, K, K], y [N, Cout, Ho, Wo]. */
export interface ConvShape {
  N: number;
  Cin: number;
  H: number;
  W: number;
  Cout: number;
  K: number;
  Ho: number;
  Wo: number;
  stride: number;
  pad: number;
}

export const CONV_GEMM_ENTRY = 'conv_gemm';

/** The GEMM view of each product. */
export function gemmDims(kind: ConvGemmKind, d: ConvShape): { M: number; NC: number; KD: number } {
  const kk = d.K * d.K;
  if (kind === 'forward') return { M: d.Cout, NC: d.N * d.Ho * d.Wo, KD: d.Cin * kk };
  if (kind === 'inputGrad') return { M: d.Cin, NC: d.N * d.H * d.W, KD: d.Cout * kk };
  return { M: d.Cout, NC: d.Cin * kk, KD: d.N * d.Ho * d.Wo };
}

/** Partial products of the weight gradient kept at most (floats): bounds the scratch buffer. */
const MAX_PARTIAL_FLOATS = 1 << 20;
const MIN_K_CHUNK = 256;

/**
 * Split-K of the weight gradient from the shape alone (never from the tile), so that every
 * tile sums the same chunks in the same order: enough chunks to fill a device when dW is
 * small, each at least MIN_K_CHUNK long.
 */
export function weightGradSplits(d: ConvShape): { splits: number; kChunk: number } {
  const { M, NC, KD } = gemmDims('weightGrad', d);
  const splits = Math.max(1, Math.min(Math.ceil(KD / MIN_K_CHUNK), Math.floor(MAX_PARTIAL_FLOATS / (M * NC)), 65535));
  const kChunk = Math.ceil(KD / splits);
  return { splits: Math.ceil(KD / kChunk), kChunk };
}

const sources = new Map<string, KernelSource>();

export function convGemmKernel(v: ConvGemmVariant): KernelSource {
  const name = convVariantName(v);
  let src = sources.get(name);
  if (!src) {
    src = { name, code: convGemmWgsl(v) };
    sources.set(name, src);
  }
  return src;
}

export interface ConvGemmLaunch {
  kernel: KernelSource;
  grid: [number, number, number];
  uniforms: Uniform[];
  splits: number;
}

export function convGemmLaunch(kind: ConvGemmKind, d: ConvShape, tile: ConvTile, bias: boolean): ConvGemmLaunch {
  const { M, NC, KD } = gemmDims(kind, d);
  const { splits, kChunk } = kind === 'weightGrad' ? weightGradSplits(d) : { splits: 1, kChunk: KD };
  const kernel = convGemmKernel({ kind, stride: d.stride, bias: kind === 'forward' && bias, tile });
  const u = (v: number): Uniform => ['u32', v];
  return {
    kernel,
    grid: [Math.ceil(NC / convTileCols(tile)), Math.ceil(M / convTileRows(tile)), splits],
    uniforms: [d.N, d.Cin, d.H, d.W, d.Cout, d.Ho, d.Wo, d.pad, M, NC, KD, kChunk, splits, d.K, 0, 0].map(u),
    splits,
  };
}

/**
 * Whether the GEMM path can take this shape on this device: one dispatch per product
 * (workgroup counts within the per-dimension limit) and every buffer bindable whole.
 * Otherwise the direct kernels run.
 */
export function convGemmFits(g: GpuContext, kind: ConvGemmKind, d: ConvShape, tile: ConvTile): boolean {
  const { grid, splits } = convGemmLaunch(kind, d, tile, false);
  const maxWg = g.device.limits.maxComputeWorkgroupsPerDimension;
  if (grid.some((n) => n > maxWg)) return false;
  const binding = Math.min(g.device.limits.maxStorageBufferBindingSize, g.device.limits.maxBufferSize);
  const floats = [d.N * d.Cin * d.H * d.W, d.N * d.Cout * d.Ho * d.Wo, d.Cout * d.Cin * d.K * d.K * splits];
  return floats.every((n) => 4 * n <= binding);
}

function work(g: GpuContext, d: ConvShape, extraWords: number): void {
  const macs = d.N * d.Cout * d.Ho * d.Wo * d.Cin * d.K * d.K;
  const words = d.N * d.Cin * d.H * d.W + d.N * d.Cout * d.Ho * d.Wo + d.Cout * d.Cin * d.K * d.K + extraWords;
  noteWork(g, 2 * macs, 4 * words);
}

export function launchConvGemmForward(
  g: GpuContext,
  x: GPUBuffer,
  w: GPUBuffer,
  bias: GPUBuffer | null,
  y: GPUBuffer,
  d: ConvShape,
  tile: ConvTile,
): void {
  const l = convGemmLaunch('forward', d, tile, !!bias);
  work(g, d, 0);
  g.dispatch(l.kernel, CONV_GEMM_ENTRY, bias ? [x, w, bias, y] : [x, w, y], l.grid, l.uniforms);
}

export function launchConvGemmInputGrad(g: GpuContext, dy: GPUBuffer, w: GPUBuffer, dx: GPUBuffer, d: ConvShape, tile: ConvTile): void {
  const l = convGemmLaunch('inputGrad', d, tile, false);
  work(g, d, 0);
  g.dispatch(l.kernel, CONV_GEMM_ENTRY, [dy, w, dx], l.grid, l.uniforms);
}

/** dW through split-K partials [splits, Cout, Cin·K·K] and their deterministic sum. */
export function launchConvGemmWeightGrad(g: GpuContext, dy: GPUBuffer, x: GPUBuffer, dw: GPUBuffer, d: ConvShape, tile: ConvTile): void {
  const l = convGemmLaunch('weightGrad', d, tile, false);
  const nw = d.Cout * d.Cin * d.K * d.K;
  const target = l.splits === 1 ? dw : g.alloc(l.splits * nw * 4, 'conv-gemm-dw-partials');
  work(g, d, (l.splits - 1) * nw);
  g.dispatch(l.kernel, CONV_GEMM_ENTRY, [dy, x, target], l.grid, l.uniforms);
  if (l.splits > 1) {
    launchReduce(g, target, dw, 1, l.splits, nw, 1);
    g.release(target);
  }
}
