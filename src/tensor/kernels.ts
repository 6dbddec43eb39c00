/**
 * Thin launchers for the WGSL kernels: each checks shapes, fills the uniform block and
 * records one dispatch. Ops (forward and backward) are built from these.
 */
import type { GpuContext, Uniform } from '../gpu/context';
import { grid1d } from '../gpu/grid';
import { SHADERS } from '../gpu/shaders';
import type { Tensor } from './tensor';

export const UNARY_CODES = { relu: 0, gelu: 1, sigmoid: 2, tanh: 3, log: 4, exp: 5, scale: 6 } as const;
export type UnaryKind = keyof typeof UNARY_CODES;
export const BINARY_CODES = { add: 0, sub: 1, mul: 2 } as const;
export type BinaryKind = keyof typeof BINARY_CODES;
/** Activations the matmul kernel can fuse (codes of matmul.wgsl). */
export const ACTIVATION_CODES = { none: 0, relu: 1, gelu: 2, sigmoid: 3, tanh: 4 } as const;
export type Activation = keyof typeof ACTIVATION_CODES;

function ew(n: number, code = 0, cols = 1, axisLen = 1, alpha = 0): Uniform[] {
  return [
    ['u32', n], ['u32', code], ['u32', cols], ['u32', axisLen], ['f32', alpha],
    ['u32', 0], ['u32', 0], ['u32', 0],
  ];
}

export function launchFill(g: GpuContext, out: GPUBuffer, n: number, value: number): void {
  g.dispatch(SHADERS.elementwise, 'fill', [out], grid1d(n), ew(n, 0, 1, 1, value));
}

export function launchUnary(g: GpuContext, kind: UnaryKind, x: Tensor, y: Tensor, alpha = 1): void {
  g.dispatch(SHADERS.elementwise, 'unary_forward', [x.buffer, y.buffer], grid1d(x.size),
    ew(x.size, UNARY_CODES[kind], 1, 1, alpha));
}

export function launchUnaryBackward(
  g: GpuContext, kind: UnaryKind, x: Tensor, y: Tensor, dy: Tensor, dx: Tensor, alpha = 1,
): void {
  g.dispatch(SHADERS.elementwise, 'unary_backward', [x.buffer, y.buffer, dy.buffer, dx.buffer],
    grid1d(x.size), ew(x.size, UNARY_CODES[kind], 1, 1, alpha));
}

export function launchBinary(g: GpuContext, kind: BinaryKind, a: Tensor, b: Tensor, c: Tensor): void {
  if (a.size !== b.size || a.size !== c.size) {
    throw new Error(`${kind}: sizes differ (${a.shape} vs ${b.shape})`);
  }
  g.dispatch(SHADERS.elementwise, 'binary_forward', [a.buffer, b.buffer, c.buffer], grid1d(a.size),
    ew(a.size, BINARY_CODES[kind]));
}

export function launchBinaryBackward(
  g: GpuContext, kind: BinaryKind, a: Tensor, b: Tensor, dc: Tensor, da: Tensor, db: Tensor,
): void {
  g.dispatch(SHADERS.elementwise, 'binary_backward',
    [a.buffer, b.buffer, dc.buffer, da.buffer, db.buffer], grid1d(a.size), ew(a.size, BINARY_CODES[kind]));
}

export function launchBiasAdd(g: GpuContext, x: Tensor, bias: Tensor, y: Tensor): void {
  g.dispatch(SHADERS.elementwise, 'bias_add', [x.buffer, bias.buffer, y.buffer], grid1d(x.size),
    ew(x.size, 0, bias.size));
}

/** out[o, j, i] = alpha * src[o, i] for j < axisLen. */
export function launchBroadcastAxis(
  g: GpuContext, src: Tensor, out: Tensor, inner: number, axisLen: number, alpha: number,
): void {
  g.dispatch(SHADERS.elementwise, 'broadcast_axis', [src.buffer, out.buffer], grid1d(out.size),
    ew(out.size, 0, inner, axisLen, alpha));
}

export interface MatmulArgs {
  M: number; N: number; K: number;
  transA: boolean; transB: boolean;
  batch: number; strideA: number; strideB: number;
  bias?: Tensor; act: Activation; z?: Tensor;
}

/** Output tiles below which a long K is split across workgroups (see matmul.wgsl). */
const SPLIT_K_MAX_TILES = 32;
const SPLIT_K_MIN_CHUNK = 256;

/** How many K slices a product gets: only plain products (no epilogue) with few tiles. */
export function matmulSplits(m: MatmulArgs): number {
  const tiles = Math.ceil(m.M / 64) * Math.ceil(m.N / 64) * m.batch;
  if (m.bias || m.z || m.act !== 'none' || tiles >= SPLIT_K_MAX_TILES || m.K < 2 * SPLIT_K_MIN_CHUNK) return 1;
  const byK = Math.floor(m.K / SPLIT_K_MIN_CHUNK);
  const byTiles = Math.ceil((2 * SPLIT_K_MAX_TILES) / tiles);
  return Math.max(1, Math.min(byK, byTiles, Math.floor(65535 / m.batch)));
}

export function launchMatmul(g: GpuContext, a: Tensor, b: Tensor, c: Tensor, m: MatmulArgs): void {
  const splits = matmulSplits(m);
  const kChunk = Math.ceil(m.K / splits / 16) * 16;
  const out = splits === 1 ? c.buffer : g.alloc(splits * m.batch * m.M * m.N * 4, 'matmul-split-k');
  g.dispatch(
    SHADERS.matmul, 'matmul',
    [a.buffer, b.buffer, m.bias?.buffer ?? g.placeholder('read'), out, m.z?.buffer ?? g.placeholder('write')],
    [Math.ceil(m.N / 64), Math.ceil(m.M / 64), m.batch * splits],
    [
      ['u32', m.M], ['u32', m.N], ['u32', m.K],
      ['u32', +m.transA], ['u32', +m.transB],
      ['u32', m.bias ? 1 : 0], ['u32', ACTIVATION_CODES[m.act]], ['u32', m.z ? 1 : 0],
      ['u32', m.strideA], ['u32', m.strideB], ['u32', m.M * m.N],
      ['u32', splits], ['u32', splits === 1 ? m.K : kChunk], ['u32', 0], ['u32', 0], ['u32', 0],
    ],
  );
  if (splits > 1) {
    launchReduce(g, out, c.buffer, 1, splits, m.batch * m.M * m.N, 1);
    g.release(out);
  }
}

const ROW_CHUNK = 4096;
const COL_CHUNK = 256;

/**
 * Sums src viewed as [outer, n, inner] over n into dst [outer, inner], times `scale`.
 * Long axes take two launches (chunk partial sums, then their sum); no atomics.
 */
export function launchReduce(
  g: GpuContext, src: GPUBuffer, dst: GPUBuffer, outer: number, n: number, inner: number, scale: number,
): void {
  const rows = inner === 1 && outer <= 65535;
  const chunk = rows ? ROW_CHUNK : COL_CHUNK;
  const chunks = Math.max(1, Math.ceil(n / chunk));
  const target = chunks === 1 ? dst : g.alloc(outer * chunks * inner * 4, 'reduce-partials');
  const partialScale = chunks === 1 ? scale : 1;
  const params: Uniform[] = [
    ['u32', outer], ['u32', n], ['u32', inner], ['u32', chunk], ['u32', chunks],
    ['f32', partialScale], ['u32', 0], ['u32', 0],
  ];
  if (rows) {
    g.dispatch(SHADERS.reduce, 'reduce_rows', [src, target], [chunks, outer], params);
  } else {
    const groups = Math.ceil((outer * inner) / 256);
    if (groups > 65535) throw new Error(`reduce: ${outer * inner} outputs exceed one dispatch`);
    g.dispatch(SHADERS.reduce, 'reduce_cols', [src, target], [groups, chunks], params);
  }
  if (chunks > 1) {
    launchReduce(g, target, dst, outer, chunks, inner, scale);
    g.release(target);
  }
}
