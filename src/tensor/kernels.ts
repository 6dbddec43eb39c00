/**
 * Thin launchers for the WGSL kernels: each checks shapes, fills the uniform block and
 * records one dispatch. Ops (forward and backward) are built from these.
 */
import type { GpuContext, Uniform } from '../gpu/context';
import { grid1d } from '../gpu/grid';
import { noteWork } from '../gpu/profiler';
import { SHADERS } from '../gpu/shaders';
import { broadcastStrides, collapse } from './reference/broadcast';
import { matmulTile } from './matmul/autotune';
import { matmulKernel } from './matmul/pipelines';
import { SHARED_KT, tileCols, tileRows, vectorWidths, type MatmulVariant, type TileShape } from './matmul/variant';
import type { Tensor } from './tensor';

export const UNARY_CODES = { relu: 0, gelu: 1, sigmoid: 2, tanh: 3, log: 4, exp: 5, scale: 6 } as const;
export type UnaryKind = keyof typeof UNARY_CODES;
export const BINARY_CODES = { add: 0, sub: 1, mul: 2 } as const;
export type BinaryKind = keyof typeof BINARY_CODES;
/** Activations the matmul kernel can fuse (generated in src/tensor/matmul/wgsl.ts). */
export const ACTIVATION_CODES = { none: 0, relu: 1, gelu: 2, sigmoid: 3, tanh: 4 } as const;
export type Activation = keyof typeof ACTIVATION_CODES;

function ew(n: number, code = 0, cols = 1, axisLen = 1, alpha = 0): Uniform[] {
  return [
    ['u32', n],
    ['u32', code],
    ['u32', cols],
    ['u32', axisLen],
    ['f32', alpha],
    ['u32', 0],
    ['u32', 0],
    ['u32', 0],
  ];
}

export function launchFill(g: GpuContext, out: GPUBuffer, n: number, value: number): void {
  g.dispatch(SHADERS.elementwise, 'fill', [out], grid1d(n), ew(n, 0, 1, 1, value));
}

export function launchUnary(g: GpuContext, kind: UnaryKind, x: Tensor, y: Tensor, alpha = 1): void {
  g.dispatch(SHADERS.elementwise, 'unary_forward', [x.buffer, y.buffer], grid1d(x.size), ew(x.size, UNARY_CODES[kind], 1, 1, alpha));
}

export function launchUnaryBackward(g: GpuContext, kind: UnaryKind, x: Tensor, y: Tensor, dy: Tensor, dx: Tensor, alpha = 1): void {
  g.dispatch(
    SHADERS.elementwise,
    'unary_backward',
    [x.buffer, y.buffer, dy.buffer, dx.buffer],
    grid1d(x.size),
    ew(x.size, UNARY_CODES[kind], 1, 1, alpha),
  );
}

export function launchBinary(g: GpuContext, kind: BinaryKind, a: Tensor, b: Tensor, c: Tensor): void {
  if (a.size !== b.size || a.size !== c.size) {
    throw new Error(`${kind}: sizes differ (${a.shape} vs ${b.shape})`);
  }
  g.dispatch(SHADERS.elementwise, 'binary_forward', [a.buffer, b.buffer, c.buffer], grid1d(a.size), ew(a.size, BINARY_CODES[kind]));
}

export function launchBinaryBackward(g: GpuContext, kind: BinaryKind, a: Tensor, b: Tensor, dc: Tensor, da: Tensor, db: Tensor): void {
  g.dispatch(
    SHADERS.elementwise,
    'binary_backward',
    [a.buffer, b.buffer, dc.buffer, da.buffer, db.buffer],
    grid1d(a.size),
    ew(a.size, BINARY_CODES[kind]),
  );
}

export function launchBiasAdd(g: GpuContext, x: Tensor, bias: Tensor, y: Tensor): void {
  g.dispatch(SHADERS.elementwise, 'bias_add', [x.buffer, bias.buffer, y.buffer], grid1d(x.size), ew(x.size, 0, bias.size));
}

/** out[o, j, i] = alpha * src[o, i] for j < axisLen. */
export function launchBroadcastAxis(g: GpuContext, src: Tensor, out: Tensor, inner: number, axisLen: number, alpha: number): void {
  g.dispatch(SHADERS.elementwise, 'broadcast_axis', [src.buffer, out.buffer], grid1d(out.size), ew(out.size, 0, inner, axisLen, alpha));
}

export interface MatmulArgs {
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  batch: number;
  strideA: number;
  strideB: number;
  bias?: Tensor;
  act: Activation;
  z?: Tensor;
  /** Tile shape to use instead of the tuner's choice (tests, the tuner itself). */
  tile?: TileShape;
}

/** Output tiles (of 64×64) below which a long K is split across workgroups. */
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

/**
 * C = act(op(A)·op(B) + bias) through the pipeline specialised for this product's
 * transposes, epilogue and vec4-compatible layout, with the tile the tuner picked for
 * this adapter and shape class (src/tensor/matmul/). Split-K writes partial products to
 * a scratch buffer and sums them with a deterministic reduction.
 */
export function launchMatmul(g: GpuContext, a: Tensor, b: Tensor, c: Tensor, m: MatmulArgs): void {
  const splits = matmulSplits(m);
  // Chunks are whole shared-memory slices, so that only the last chunk has a K tail.
  const kChunk = splits === 1 ? m.K : Math.ceil(m.K / splits / SHARED_KT) * SHARED_KT;
  const out = splits === 1 ? c.buffer : g.alloc(splits * m.batch * m.M * m.N * 4, 'matmul-split-k');
  const vec = vectorWidths(m.M, m.N, m.K, m.transA, m.transB);
  const tile = m.tile ?? matmulTile(g, m.M, m.N, m.K, m.transA, m.transB);
  const variant: MatmulVariant = {
    transA: m.transA,
    transB: m.transB,
    bias: !!m.bias,
    act: m.act,
    writeZ: !!m.z,
    ...vec,
    tile,
  };
  const buffers = [a.buffer, b.buffer];
  if (m.bias) buffers.push(m.bias.buffer);
  buffers.push(out);
  if (m.z) buffers.push(m.z.buffer);
  // Minimum traffic: each operand read once, C (and Z) written once per split.
  const words =
    (m.strideA ? m.batch : 1) * m.M * m.K + (m.strideB ? m.batch : 1) * m.K * m.N + splits * m.batch * m.M * m.N * (m.z ? 2 : 1);
  noteWork(g, 2 * m.batch * m.M * m.N * m.K, 4 * words);
  g.dispatch(
    matmulKernel(variant),
    'matmul',
    buffers,
    [Math.ceil(m.N / tileCols(tile)), Math.ceil(m.M / tileRows(tile)), m.batch * splits],
    [
      ['u32', m.M],
      ['u32', m.N],
      ['u32', m.K],
      ['u32', m.strideA],
      ['u32', m.strideB],
      ['u32', m.M * m.N],
      ['u32', splits],
      ['u32', kChunk],
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
export function launchReduce(g: GpuContext, src: GPUBuffer, dst: GPUBuffer, outer: number, n: number, inner: number, scale: number): void {
  const rows = inner === 1 && outer <= 65535;
  const chunk = rows ? ROW_CHUNK : COL_CHUNK;
  const chunks = Math.max(1, Math.ceil(n / chunk));
  const target = chunks === 1 ? dst : g.alloc(outer * chunks * inner * 4, 'reduce-partials');
  const partialScale = chunks === 1 ? scale : 1;
  const params: Uniform[] = [
    ['u32', outer],
    ['u32', n],
    ['u32', inner],
    ['u32', chunk],
    ['u32', chunks],
    ['f32', partialScale],
    ['u32', 0],
    ['u32', 0],
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

// ---- broadcasting elementwise ops, where, sums to a shape, parametrised unary ops ----------

export const BROADCAST_CODES = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  pow: 4,
  maximum: 5,
  minimum: 6,
  eq: 7,
  ne: 8,
  lt: 9,
  le: 10,
  gt: 11,
  ge: 12,
} as const;
export type BroadcastOpKind = keyof typeof BROADCAST_CODES;

const MAX_BROADCAST_RANK = 6;

/** broadcast.wgsl's uniform block: header, then the collapsed shape and three stride lists. */
function broadcastGeo(
  out: readonly number[],
  operands: (readonly number[] | null)[],
  code: number,
  flags: number,
  alpha = 0,
): { n: number; uniforms: Uniform[] } {
  const strides = operands.map((s) => (s ? broadcastStrides(s, out) : out.map(() => 0)));
  while (strides.length < 3) strides.push(out.map(() => 0));
  const c = collapse(out, strides);
  if (c.shape.length > MAX_BROADCAST_RANK) {
    throw new Error(`broadcast: [${out}] has rank ${c.shape.length} after merging axes (at most ${MAX_BROADCAST_RANK})`);
  }
  const pad = (xs: number[], fill: number) => [...xs, ...new Array(8 - xs.length).fill(fill)];
  const n = out.reduce((a, b) => a * b, 1);
  const uniforms: Uniform[] = [
    ['u32', n],
    ['u32', code],
    ['u32', c.shape.length],
    ['u32', flags],
    ['f32', alpha],
    ['u32', 0],
    ['u32', 0],
    ['u32', 0],
    ...pad(c.shape, 1).map((v): Uniform => ['u32', v]),
    ...c.strides.flatMap((s) => pad(s, 0).map((v): Uniform => ['u32', v])),
  ];
  return { n, uniforms };
}

/** c = a ∘ b with NumPy broadcasting; c has the broadcast shape. */
export function launchBroadcastBinary(g: GpuContext, kind: BroadcastOpKind, a: Tensor, b: Tensor, c: Tensor): void {
  const { n, uniforms } = broadcastGeo(c.shape, [a.shape, b.shape], BROADCAST_CODES[kind], 0);
  g.dispatch(SHADERS.broadcast, 'binary_forward', [a.buffer, b.buffer, c.buffer], grid1d(n), uniforms);
}

/** out = dc · ∂(a ∘ b)/∂a (or ∂b when `wrtB`), in the shape of dc (the broadcast shape). */
export function launchBroadcastPartial(
  g: GpuContext,
  kind: BroadcastOpKind,
  a: Tensor,
  b: Tensor,
  dc: Tensor,
  out: Tensor,
  wrtB: boolean,
): void {
  const { n, uniforms } = broadcastGeo(dc.shape, [a.shape, b.shape], BROADCAST_CODES[kind], wrtB ? 2 : 0);
  g.dispatch(SHADERS.broadcast, 'binary_partial', [a.buffer, b.buffer, dc.buffer, out.buffer], grid1d(n), uniforms);
}

/** out = cond ? a : b, broadcasting all three; a === null takes the constant `alpha` instead. */
export function launchWhere(g: GpuContext, cond: Tensor, a: Tensor | null, b: Tensor, out: Tensor, alpha = 0): void {
  const flags = cond.dtype === 'f32' ? 1 : 0;
  const { n, uniforms } = broadcastGeo(out.shape, [cond.shape, a?.shape ?? null, b.shape], a ? 0 : 1, flags, alpha);
  g.dispatch(
    SHADERS.broadcast,
    'where_forward',
    [cond.buffer, a?.buffer ?? g.placeholder('read'), b.buffer, out.buffer],
    grid1d(n),
    uniforms,
  );
}

/** out = dy where cond holds (or, with `whereFalse`, where it does not), else 0; dy's shape. */
export function launchWherePartial(g: GpuContext, cond: Tensor, dy: Tensor, out: Tensor, whereFalse: boolean): void {
  const flags = (cond.dtype === 'f32' ? 1 : 0) | (whereFalse ? 2 : 0);
  const { n, uniforms } = broadcastGeo(dy.shape, [cond.shape], 0, flags);
  g.dispatch(SHADERS.broadcast, 'where_partial', [cond.buffer, dy.buffer, out.buffer], grid1d(n), uniforms);
}

/**
 * scale · (src summed down to `dstShape`), where src has a shape `dstShape` broadcasts to:
 * the gradient of a broadcast. After merging axes the summed axes form runs between kept
 * ones; each run is one launchReduce over [outer, n, inner] (deterministic, no atomics).
 */
export function launchSumToShape(
  g: GpuContext,
  src: GPUBuffer,
  srcShape: readonly number[],
  dst: GPUBuffer,
  dstShape: readonly number[],
  scale = 1,
): void {
  const srcSize = srcShape.reduce((a, b) => a * b, 1);
  const dstSize = dstShape.reduce((a, b) => a * b, 1);
  if (srcSize === 0) {
    launchFill(g, dst, dstSize, 0);
    return;
  }
  const {
    shape,
    strides: [s],
  } = collapse(srcShape, [broadcastStrides(dstShape, srcShape)]);
  const summed = shape.map((_, k) => s[k] === 0);
  let remaining = summed.filter(Boolean).length;
  if (remaining === 0) {
    launchReduce(g, src, dst, 1, 1, srcSize, scale);
    return;
  }
  const dims = [...shape];
  let cur = src;
  for (let k = dims.length - 1; k >= 0; k--) {
    if (!summed[k]) continue;
    const outer = dims.slice(0, k).reduce((a, b) => a * b, 1);
    const inner = dims.slice(k + 1).reduce((a, b) => a * b, 1);
    const last = --remaining === 0;
    const target = last ? dst : g.alloc(outer * inner * 4, 'sum-to-shape');
    launchReduce(g, cur, target, outer, dims[k], inner, last ? scale : 1);
    if (cur !== src) g.release(cur);
    dims.splice(k, 1);
    cur = target;
  }
}

/** Codes of unary.wgsl; α and β are each op's parameters (see unary.ts). */
export const UNARY_MATH_CODES = {
  neg: 0,
  abs: 1,
  sqrt: 2,
  rsqrt: 3,
  square: 4,
  log1p: 5,
  leakyRelu: 6,
  elu: 7,
  softplus: 8,
  geluErf: 9,
  addScalar: 10,
  rsubScalar: 11,
  divScalar: 12,
  rdivScalar: 13,
  powScalar: 14,
  rpowScalar: 15,
  maximumScalar: 16,
  minimumScalar: 17,
  eqScalar: 18,
  neScalar: 19,
  ltScalar: 20,
  leScalar: 21,
  gtScalar: 22,
  geScalar: 23,
  expm1: 24,
  erf: 25,
} as const;
export type UnaryMathKind = keyof typeof UNARY_MATH_CODES;

const mathParams = (n: number, kind: UnaryMathKind, alpha: number, beta: number): Uniform[] => [
  ['u32', n],
  ['u32', UNARY_MATH_CODES[kind]],
  ['f32', alpha],
  ['f32', beta],
];

export function launchUnaryMath(g: GpuContext, kind: UnaryMathKind, x: Tensor, y: Tensor, alpha = 0, beta = 0): void {
  g.dispatch(SHADERS.unary, 'unary_forward', [x.buffer, y.buffer], grid1d(x.size), mathParams(x.size, kind, alpha, beta));
}

export function launchUnaryMathBackward(
  g: GpuContext,
  kind: UnaryMathKind,
  x: Tensor,
  y: Tensor,
  dy: Tensor,
  dx: Tensor,
  alpha = 0,
  beta = 0,
): void {
  g.dispatch(
    SHADERS.unary,
    'unary_backward',
    [x.buffer, y.buffer, dy.buffer, dx.buffer],
    grid1d(x.size),
    mathParams(x.size, kind, alpha, beta),
  );
}
