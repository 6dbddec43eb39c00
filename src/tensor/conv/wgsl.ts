/**
 * WGSL text of one implicit-GEMM conv2d variant (variant.ts), written in the style of the
 * matmul engine (../matmul/wgsl.ts): each thread owns a tm × tn block of C in vec4
 * registers (4 columns each), and the loops over the block are unrolled here into named
 * registers. Row and column indices are clamped into C once (clamped rows and columns
 * compute a copy and are not stored). The gathered operand reads an image with a
 * predicate per tap: outside the image (zero padding) or, for the input gradient, between
 * strided outputs, the index is 0 and the value selected to 0.0, so no read leaves the
 * buffer and no im2col buffer exists.
 *
 * Every element is summed in the same order (k ascending, one fma per k, k = (ci, ky, kx)
 * or (co, ky, kx) or (n, oy, ox)) whatever the tile, so a tile choice never changes a bit.
 *
 * Bindings: uniforms, then forward: x, w, [bias], y; inputGrad: dy, w, dx; weightGrad: dy, x, partials.
 */
import { convTileCols, convTileRows, type ConvGemmVariant } from './variant';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

const PARAMS = `struct Params {
  N: u32, Cin: u32, H: u32, W: u32,
  Cout: u32, Ho: u32, Wo: u32, pad: u32,
  M: u32, NC: u32, KD: u32, kChunk: u32,
  splits: u32, KS: u32, _p1: u32, _p2: u32,
}
@group(0) @binding(0) var<uniform> p: Params;`;

function bindings(v: ConvGemmVariant): string[] {
  const r = (name: string) => `var<storage, read> ${name}: array<f32>;`;
  const w = (name: string) => `var<storage, read_write> ${name}: array<f32>;`;
  const list =
    v.kind === 'forward'
      ? [r('X'), r('Wt'), ...(v.bias ? [r('Bias')] : []), w('Y')]
      : v.kind === 'inputGrad'
        ? [r('DY'), r('Wt'), w('DX')]
        : [r('DY'), r('X'), w('P')];
  return list.map((b, i) => `@group(0) @binding(${i + 1}) ${b}`);
}

/** fma of the thread's block for one k: a[i] scalar per row, b[j] scalar per column. */
function fmaBlock(tm: number, tn: number, a: (i: number) => string, b: (j: number) => string): string[] {
  const out: string[] = [];
  for (const q of range(tn / 4))
    out.push(
      `let bv${q} = vec4<f32>(${range(4)
        .map((c) => b(4 * q + c))
        .join(', ')});`,
    );
  for (const i of range(tm)) {
    out.push(`let av${i} = vec4<f32>(${a(i)});`);
    for (const q of range(tn / 4)) out.push(`c${i}_${q} = fma(av${i}, bv${q}, c${i}_${q});`);
  }
  return out;
}

function forwardBody(v: ConvGemmVariant, L: (s: string, depth?: number) => void): void {
  const { tm, tn } = v.tile;
  const S = v.stride;
  for (const i of range(tm)) L(`let wr${i} = min(mBase + ${i}u, p.M - 1u) * p.KD;`);
  L('let hw = p.H * p.W;');
  L('let plane = p.Ho * p.Wo;');
  for (const j of range(tn)) {
    L(`let col${j} = min(nBase + ${j}u, p.NC - 1u);`);
    L(`let q${j} = col${j} % plane; let n${j} = col${j} / plane;`);
    L(`let iy${j} = i32((q${j} / p.Wo) * ${S}u) - i32(p.pad); let ix${j} = i32((q${j} % p.Wo) * ${S}u) - i32(p.pad);`);
    L(`let xb${j} = n${j} * p.Cin * hw;`);
  }
  L('for (var ci = 0u; ci < p.Cin; ci++) {');
  L('let xc = ci * hw; let wc = ci * kk;', 1);
  L(`for (var ky = 0u; ky < KS; ky++) {`, 1);
  for (const j of range(tn)) {
    L(`let y${j} = iy${j} + i32(ky); let rok${j} = y${j} >= 0 && y${j} < i32(p.H);`, 2);
    L(`let ro${j} = xb${j} + xc + u32(max(y${j}, 0)) * p.W;`, 2);
  }
  L(`for (var kx = 0u; kx < KS; kx++) {`, 2);
  L(`let t = wc + ky * KS + kx;`, 3);
  for (const j of range(tn)) {
    L(`let x${j} = ix${j} + i32(kx); let ok${j} = rok${j} && x${j} >= 0 && x${j} < i32(p.W);`, 3);
    L(`let g${j} = select(0.0, X[select(0u, ro${j} + u32(x${j}), ok${j})], ok${j});`, 3);
  }
  for (const s of fmaBlock(
    tm,
    tn,
    (i) => `Wt[wr${i} + t]`,
    (j) => `g${j}`,
  ))
    L(s, 3);
  L('}', 2);
  L('}', 1);
  L('}');
  // y[n, co, q] at n·Cout·plane + co·plane + q.
  for (const j of range(tn)) L(`let yo${j} = n${j} * p.Cout * plane + q${j};`);
  store(v, L, (i, j) => `Y[yo${j} + (mBase + ${i}u) * plane]`, v.bias ? (i) => `Bias[mBase + ${i}u]` : null);
}

function inputGradBody(v: ConvGemmVariant, L: (s: string, depth?: number) => void): void {
  const { tm, tn } = v.tile;
  const S = v.stride;
  for (const i of range(tm)) L(`let wr${i} = min(mBase + ${i}u, p.M - 1u) * kk;`);
  L('let hw = p.H * p.W;');
  L('let plane = p.Ho * p.Wo;');
  L('let wco = p.Cin * kk;');
  for (const j of range(tn)) {
    L(`let col${j} = min(nBase + ${j}u, p.NC - 1u);`);
    L(`let q${j} = col${j} % hw; let n${j} = col${j} / hw;`);
    L(`let ty${j} = i32(q${j} / p.W + p.pad); let tx${j} = i32(q${j} % p.W + p.pad);`);
    L(`let yb${j} = n${j} * p.Cout * plane;`);
  }
  // An output (oy, ox) receives the pixel through tap (ky, kx) when oy·s = iy + pad − ky.
  const hit = (t: string, size: string) =>
    S === 1 ? `${t} >= 0 && ${t} < i32(${size})` : `${t} >= 0 && ${t} % ${S} == 0 && ${t} / ${S} < i32(${size})`;
  const div = (t: string) => (S === 1 ? `u32(max(${t}, 0))` : `u32(max(${t}, 0)) / ${S}u`);
  L('for (var co = 0u; co < p.Cout; co++) {');
  L('let yc = co * plane; let wc = co * wco;', 1);
  L(`for (var ky = 0u; ky < KS; ky++) {`, 1);
  for (const j of range(tn)) {
    L(`let y${j} = ty${j} - i32(ky); let rok${j} = ${hit(`y${j}`, 'p.Ho')};`, 2);
    L(`let ro${j} = yb${j} + yc + ${div(`y${j}`)} * p.Wo;`, 2);
  }
  L(`for (var kx = 0u; kx < KS; kx++) {`, 2);
  L(`let t = wc + ky * KS + kx;`, 3);
  for (const j of range(tn)) {
    L(`let x${j} = tx${j} - i32(kx); let ok${j} = rok${j} && ${hit(`x${j}`, 'p.Wo')};`, 3);
    L(`let g${j} = select(0.0, DY[select(0u, ro${j} + ${div(`x${j}`)}, ok${j})], ok${j});`, 3);
  }
  for (const s of fmaBlock(
    tm,
    tn,
    (i) => `Wt[wr${i} + t]`,
    (j) => `g${j}`,
  ))
    L(s, 3);
  L('}', 2);
  L('}', 1);
  L('}');
  for (const j of range(tn)) L(`let xo${j} = n${j} * p.Cin * hw + q${j};`);
  store(v, L, (i, j) => `DX[xo${j} + (mBase + ${i}u) * hw]`, null);
}

function weightGradBody(v: ConvGemmVariant, L: (s: string, depth?: number) => void): void {
  const { tm, tn } = v.tile;
  const S = v.stride;
  L('let hw = p.H * p.W;');
  L('let plane = p.Ho * p.Wo;');
  for (const i of range(tm)) L(`let ar${i} = min(mBase + ${i}u, p.M - 1u) * plane;`);
  for (const j of range(tn)) {
    L(`let col${j} = min(nBase + ${j}u, p.NC - 1u);`);
    L(`let tap${j} = col${j} % kk;`);
    L(`let xc${j} = (col${j} / kk) * hw;`);
    L(`let dy${j} = i32(tap${j} / KS) - i32(p.pad); let dx${j} = i32(tap${j} % KS) - i32(p.pad);`);
  }
  // k = (n, oy, ox) flat; this split's range, walked with counters instead of divisions.
  L('let kBegin = min(split * p.kChunk, p.KD);');
  L('let kEnd = min(kBegin + p.kChunk, p.KD);');
  L('var n = kBegin / plane; var q = kBegin % plane; var oy = q / p.Wo; var ox = q % p.Wo;');
  L('for (var k = kBegin; k < kEnd; k++) {');
  L('let ab = n * p.Cout * plane + q; let xb = n * p.Cin * hw;', 1);
  L(`let iyb = i32(oy * ${S}u); let ixb = i32(ox * ${S}u);`, 1);
  for (const j of range(tn)) {
    L(`let y${j} = iyb + dy${j}; let x${j} = ixb + dx${j};`, 1);
    L(`let ok${j} = y${j} >= 0 && y${j} < i32(p.H) && x${j} >= 0 && x${j} < i32(p.W);`, 1);
    L(`let g${j} = select(0.0, X[select(0u, xb + xc${j} + u32(y${j}) * p.W + u32(x${j}), ok${j})], ok${j});`, 1);
  }
  for (const s of fmaBlock(
    tm,
    tn,
    (i) => `DY[ab + ar${i}]`,
    (j) => `g${j}`,
  ))
    L(s, 1);
  L('q++; ox++;', 1);
  L('if (ox == p.Wo) { ox = 0u; oy++; }', 1);
  L('if (q == plane) { q = 0u; oy = 0u; n++; }', 1);
  L('}');
  // partials [split, Cout, Cin·k·k]: split 0 alone is dW itself.
  L('let pb = split * p.M * p.NC;');
  store(v, L, (i, j) => `P[pb + (mBase + ${i}u) * p.NC + nBase + ${j}u]`, null);
}

/** Guarded stores of the thread's block (plus the bias of each row). */
function store(
  v: ConvGemmVariant,
  L: (s: string, depth?: number) => void,
  target: (i: number, j: number) => string,
  bias: ((i: number) => string) | null,
): void {
  const { tm, tn } = v.tile;
  const xyzw = ['x', 'y', 'z', 'w'];
  for (const i of range(tm)) {
    L(`if (mBase + ${i}u < p.M) {`);
    if (bias) L(`let bi = ${bias(i)};`, 1);
    for (const j of range(tn)) {
      const val = `c${i}_${j >> 2}.${xyzw[j & 3]}`;
      L(`if (nBase + ${j}u < p.NC) { ${target(i, j)} = ${bias ? `${val} + bi` : val}; }`, 1);
    }
    L('}');
  }
}

export function convGemmWgsl(v: ConvGemmVariant): string {
  const { wgX, wgY, tm, tn } = v.tile;
  if (tn % 4 !== 0) throw new Error(`conv2d GEMM tile ${tm}×${tn}: tn must be a multiple of 4`);
  const lines: string[] = [PARAMS, ...bindings(v)];
  const L = (s: string, depth = 0) => lines.push(`${'  '.repeat(depth + 1)}${s}`);
  lines.push(`@compute @workgroup_size(${wgX}, ${wgY})`);
  lines.push('fn conv_gemm(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {');
  L(`let mBase = wg.y * ${convTileRows(v.tile)}u + lid.y * ${tm}u;`);
  L(`let nBase = wg.x * ${convTileCols(v.tile)}u + lid.x * ${tn}u;`);
  L('let split = wg.z;');
  L('let KS = p.KS; let kk = KS * KS;');
  for (const i of range(tm)) for (const q of range(tn / 4)) L(`var c${i}_${q} = vec4<f32>(0.0);`);
  if (v.kind === 'forward') forwardBody(v, L);
  else if (v.kind === 'inputGrad') inputGradBody(v, L);
  else weightGradBody(v, L);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
