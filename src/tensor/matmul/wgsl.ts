/**
 * WGSL text of one matmul variant: C = act(op(A)·op(B) + bias), batched, split-K.
 * The loops over the thread's tm × tn block and over 4 consecutive k are unrolled here, in
 * TypeScript, into named registers; transposes, vec4 access, bias and activation are
 * chosen while writing the text. Edges need no test in the K loop: row and column indices
 * are clamped into the matrix once (rows past M or columns past N compute a copy of the
 * last one and are not stored), and the K range is split into a part that is a multiple
 * of 4 and a scalar tail. Every element is summed in the same order (k ascending, one fma
 * per k) whatever the tile, so the tuner's choice never changes a result bit.
 *
 * Bindings, in order: uniforms, A, B, [bias], C, [Z].
 */
import type { Activation } from '../kernels';
import { SHARED_KT, tileCols, tileRows, type MatmulVariant } from './variant';

const XYZW = ['x', 'y', 'z', 'w'];
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function activation(act: Activation): string {
  const body: Record<Activation, string> = {
    none: 'return z;',
    relu: 'return max(z, vec4<f32>(0.0));',
    gelu: 'return 0.5 * z * (1.0 + tanh(clamp(0.7978845608028654 * (z + 0.044715 * z * z * z), vec4<f32>(-15.0), vec4<f32>(15.0))));',
    sigmoid: 'return 1.0 / (1.0 + exp(-z));',
    tanh: 'return tanh(clamp(z, vec4<f32>(-15.0), vec4<f32>(15.0)));',
  };
  return `fn act(z: vec4<f32>) -> vec4<f32> { ${body[act]} }`;
}

function header(v: MatmulVariant): string {
  const arr = (vec: boolean) => (vec ? 'array<vec4<f32>>' : 'array<f32>');
  const bindings = [`var<storage, read> A: ${arr(v.vecA)};`, `var<storage, read> B: ${arr(v.vecB)};`];
  if (v.bias) bindings.push('var<storage, read> bias: array<f32>;');
  bindings.push(`var<storage, read_write> C: ${arr(v.vecC)};`);
  if (v.writeZ) bindings.push(`var<storage, read_write> Z: ${arr(v.vecC)};`);
  return [
    'struct Params { M: u32, N: u32, K: u32, strideA: u32, strideB: u32, strideC: u32, splits: u32, kChunk: u32 }',
    '@group(0) @binding(0) var<uniform> p: Params;',
    ...bindings.map((b, i) => `@group(0) @binding(${i + 1}) ${b}`),
    // Scalar reads of a vec4 array (the K tail, the shared staging of odd edges).
    `fn ldA(i: u32) -> f32 { return ${v.vecA ? 'A[i >> 2u][i & 3u]' : 'A[i]'}; }`,
    `fn ldB(i: u32) -> f32 { return ${v.vecB ? 'B[i >> 2u][i & 3u]' : 'B[i]'}; }`,
    activation(v.act),
  ].join('\n');
}

/** Split, batch and K range of this workgroup; the same in both kernel families. */
const PROLOGUE = `
  let split = wg.z % p.splits;
  let batch = wg.z / p.splits;
  let batches = nwg.z / p.splits;
  let kBegin = min(split * p.kChunk, p.K);
  let kEnd = min(kBegin + p.kChunk, p.K);
  let baseA = batch * p.strideA;
  let baseB = batch * p.strideB;`;

/** Bias, activation and the (guarded) stores of the thread's block. */
function epilogue(
  v: MatmulVariant,
  acc: (i: number, jv: number) => string,
  row: (i: number) => string,
  col: (jv: number) => string,
): string {
  const { tm, tn } = v.tile;
  const out: string[] = ['  let baseC = (split * batches + batch) * p.strideC;'];
  for (const i of range(tm)) {
    out.push(`  if (${row(i)} < p.M) {`);
    for (const jv of range(tn / 4)) {
      const n = col(jv);
      const zb = v.bias ? `${acc(i, jv)} + vec4<f32>(${XYZW.map((_, c) => `bias[min(${n} + ${c}u, p.N - 1u)]`).join(', ')})` : acc(i, jv);
      out.push(`    { let n = ${n}; let z = ${zb}; let y = act(z); let o = baseC + (${row(i)}) * p.N + n;`);
      if (v.vecC) {
        out.push(`      if (n < p.N) { C[o >> 2u] = y;${v.writeZ ? ' Z[o >> 2u] = z;' : ''} }`);
      } else {
        for (const c of range(4)) {
          out.push(`      if (n + ${c}u < p.N) { C[o + ${c}u] = y.${XYZW[c]};${v.writeZ ? ` Z[o + ${c}u] = z.${XYZW[c]};` : ''} }`);
        }
      }
      out.push('    }');
    }
    out.push('  }');
  }
  return out.join('\n');
}

const accDecl = (tm: number, tn: number) =>
  range(tm)
    .flatMap((i) => range(tn / 4).map((jv) => `  var c${i}_${jv} = vec4<f32>(0.0);`))
    .join('\n');

/**
 * Register-tiled kernel without workgroup memory: the thread's rows of A and columns of B
 * are read from storage (caches do the reuse), 4 values of k per iteration.
 */
function registerKernel(v: MatmulVariant): string {
  const { wgX, wgY, tm, tn } = v.tile;
  const BM = tileRows(v.tile),
    BN = tileCols(v.tile);
  const lines: string[] = [];
  const L = (s: string) => lines.push(s);
  L(`@compute @workgroup_size(${wgX}, ${wgY})`);
  L(
    'fn matmul(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {',
  );
  L(PROLOGUE);
  L(`  let kMain = kBegin + ((kEnd - kBegin) / 4u) * 4u;`);
  L(`  let mBase = wg.y * ${BM}u + lid.y * ${tm}u;`);
  L(`  let nBase = wg.x * ${BN}u + lid.x * ${tn}u;`);
  // Clamped operand offsets, computed once.
  if (!v.transA) {
    for (const i of range(tm)) L(`  let ra${i} = baseA + min(mBase + ${i}u, p.M - 1u) * p.K;`);
  } else if (v.vecA) {
    for (const q of range(tm / 4)) L(`  let ca${q} = (baseA + min(mBase + ${4 * q}u, p.M - 4u)) >> 2u;`);
  } else {
    for (const i of range(tm)) L(`  let ca${i} = baseA + min(mBase + ${i}u, p.M - 1u);`);
  }
  if (v.transB) {
    for (const j of range(tn)) L(`  let rb${j} = baseB + min(nBase + ${j}u, p.N - 1u) * p.K;`);
  } else if (v.vecB) {
    for (const q of range(tn / 4)) L(`  let cb${q} = (baseB + min(nBase + ${4 * q}u, p.N - 4u)) >> 2u;`);
  } else {
    for (const j of range(tn)) L(`  let cb${j} = baseB + min(nBase + ${j}u, p.N - 1u);`);
  }
  L(accDecl(tm, tn));

  // Main loop: k, k+1, k+2, k+3 with no bounds test.
  L('  for (var k = kBegin; k < kMain; k += 4u) {');
  const a: string[][] = range(tm).map(() => []); // a[i][kk]: expression of A(m_i, k+kk)
  if (!v.transA && v.vecA) {
    for (const i of range(tm)) {
      L(`    let a${i} = A[(ra${i} + k) >> 2u];`);
      for (const kk of range(4)) a[i][kk] = `a${i}.${XYZW[kk]}`;
    }
  } else if (!v.transA) {
    for (const i of range(tm))
      for (const kk of range(4)) {
        L(`    let a${i}_${kk} = A[ra${i} + k + ${kk}u];`);
        a[i][kk] = `a${i}_${kk}`;
      }
  } else if (v.vecA) {
    L('    let mq = p.M >> 2u;');
    for (const kk of range(4))
      for (const q of range(tm / 4)) {
        L(`    let a${kk}_${q} = A[ca${q} + (k + ${kk}u) * mq];`);
        for (const c of range(4)) a[4 * q + c][kk] = `a${kk}_${q}.${XYZW[c]}`;
      }
  } else {
    for (const kk of range(4))
      for (const i of range(tm)) {
        L(`    let a${kk}_${i} = A[ca${i} + (k + ${kk}u) * p.M];`);
        a[i][kk] = `a${kk}_${i}`;
      }
  }
  const b: string[][] = range(4).map(() => []); // b[kk][jv]: vec4 of B(k+kk, n_4jv..4jv+3)
  if (!v.transB && v.vecB) {
    L('    let nq = p.N >> 2u;');
    for (const kk of range(4))
      for (const q of range(tn / 4)) {
        L(`    let b${kk}_${q} = B[cb${q} + (k + ${kk}u) * nq];`);
        b[kk][q] = `b${kk}_${q}`;
      }
  } else if (!v.transB) {
    for (const kk of range(4))
      for (const q of range(tn / 4)) {
        L(
          `    let b${kk}_${q} = vec4<f32>(${range(4)
            .map((c) => `B[cb${4 * q + c} + (k + ${kk}u) * p.N]`)
            .join(', ')});`,
        );
        b[kk][q] = `b${kk}_${q}`;
      }
  } else {
    // B stored [N, K]: a vec4 along k per column, regrouped into vec4s along n.
    for (const j of range(tn)) {
      if (v.vecB) L(`    let bt${j} = B[(rb${j} + k) >> 2u];`);
      else
        L(
          `    let bt${j} = vec4<f32>(${range(4)
            .map((kk) => `B[rb${j} + k + ${kk}u]`)
            .join(', ')});`,
        );
    }
    for (const kk of range(4))
      for (const q of range(tn / 4)) {
        b[kk][q] = `vec4<f32>(${range(4)
          .map((c) => `bt${4 * q + c}.${XYZW[kk]}`)
          .join(', ')})`;
      }
  }
  for (const kk of range(4)) {
    for (const q of range(tn / 4)) if (v.transB) L(`    let bb${kk}_${q} = ${b[kk][q]};`);
    for (const i of range(tm))
      for (const q of range(tn / 4)) {
        const bv = v.transB ? `bb${kk}_${q}` : b[kk][q];
        L(`    c${i}_${q} = fma(vec4<f32>(${a[i][kk]}), ${bv}, c${i}_${q});`);
      }
  }
  L('  }');

  // Tail: the last K % 4 values (none when A or B is read as vec4 along K).
  L('  for (var k = kMain; k < kEnd; k++) {');
  const aIdx = (i: number) => (!v.transA ? `ra${i} + k` : v.vecA ? `(ca${i >> 2} << 2u) + ${i & 3}u + k * p.M` : `ca${i} + k * p.M`);
  const bIdx = (j: number) => (v.transB ? `rb${j} + k` : v.vecB ? `(cb${j >> 2} << 2u) + ${j & 3}u + k * p.N` : `cb${j} + k * p.N`);
  for (const i of range(tm)) L(`    let ta${i} = ldA(${aIdx(i)});`);
  for (const q of range(tn / 4))
    L(
      `    let tb${q} = vec4<f32>(${range(4)
        .map((c) => `ldB(${bIdx(4 * q + c)})`)
        .join(', ')});`,
    );
  for (const i of range(tm)) for (const q of range(tn / 4)) L(`    c${i}_${q} = fma(vec4<f32>(ta${i}), tb${q}, c${i}_${q});`);
  L('  }');
  L(
    epilogue(
      v,
      (i, jv) => `c${i}_${jv}`,
      (i) => `mBase + ${i}u`,
      (jv) => `nBase + ${4 * jv}u`,
    ),
  );
  L('}');
  return lines.join('\n');
}

/**
 * Workgroup-memory kernel (GPUs): each K-slice of SHARED_KT is staged as As[k][m] and
 * Bs[k][n] by all threads (one barrier pair per slice), each thread then reads its tm
 * rows and tn columns from there. Thread blocks are strided (row ty + wgY·i) so that
 * neighbouring threads read neighbouring words. Loads of the slice are bounds-tested
 * (zero outside), so the inner product loop is test-free. Requires SHARED_KT % 4 = 0.
 */
function sharedKernel(v: MatmulVariant): string {
  const { wgX, wgY, tm, tn } = v.tile;
  const BM = tileRows(v.tile),
    BN = tileCols(v.tile),
    KT = SHARED_KT;
  const threads = wgX * wgY;
  const lines: string[] = [];
  const L = (s: string) => lines.push(s);
  L(`var<workgroup> As: array<f32, ${KT * BM}>;`);
  // B's slice as vec4s along n: each thread's 4 output columns are one read.
  L(`var<workgroup> Bs: array<vec4<f32>, ${(KT * BN) / 4}>;`);
  L(`@compute @workgroup_size(${wgX}, ${wgY})`);
  L(
    'fn matmul(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {',
  );
  L(PROLOGUE);
  L(`  let m0 = wg.y * ${BM}u;`);
  L(`  let n0 = wg.x * ${BN}u;`);
  L(`  let t = lid.y * ${wgX}u + lid.x;`);
  // Output columns are groups of 4 (vec4 accumulators): thread x owns columns 4·(x + wgX·q)..+3.
  L(accDecl(tm, tn));
  L(`  for (var k0 = kBegin; k0 < kEnd; k0 += ${KT}u) {`);
  // Staging walks each operand in its memory order, so neighbouring threads load neighbouring
  // words; along a contiguous axis of length % 4 = 0 it loads vec4s (all 4 in range or none:
  // kEnd, M and N are then multiples of 4).
  const loop = (count: number, body: () => void) => {
    for (let r = 0; r < Math.ceil(count / threads); r++) {
      const partial = count % threads !== 0 && (r + 1) * threads > count;
      L(`    { let idx = t + ${r * threads}u;`);
      if (partial) L(`      if (idx < ${count}u) {`);
      body();
      if (partial) L('      }');
      L('    }');
    }
  };
  const vecAlongK = !v.transA && v.vecA;
  const vecAlongM = v.transA && v.vecA;
  if (vecAlongK) {
    loop((BM * KT) / 4, () => {
      L(`      let mm = idx / ${KT / 4}u; let kk = (idx % ${KT / 4}u) * 4u;`);
      L('      let m = m0 + mm; let k = k0 + kk;');
      L('      var x = vec4<f32>(0.0); if (m < p.M && k < kEnd) { x = A[(baseA + m * p.K + k) >> 2u]; }');
      for (const c of range(4)) L(`      As[(kk + ${c}u) * ${BM}u + mm] = x.${XYZW[c]};`);
    });
  } else if (vecAlongM) {
    loop((BM * KT) / 4, () => {
      L(`      let kk = idx / ${BM / 4}u; let mm = (idx % ${BM / 4}u) * 4u;`);
      L('      let m = m0 + mm; let k = k0 + kk;');
      L('      var x = vec4<f32>(0.0); if (m < p.M && k < kEnd) { x = A[(baseA + k * p.M + m) >> 2u]; }');
      for (const c of range(4)) L(`      As[kk * ${BM}u + mm + ${c}u] = x.${XYZW[c]};`);
    });
  } else {
    loop(BM * KT, () => {
      if (v.transA) L(`      let kk = idx / ${BM}u; let mm = idx % ${BM}u;`);
      else L(`      let mm = idx / ${KT}u; let kk = idx % ${KT}u;`);
      L('      let m = m0 + mm; let k = k0 + kk;');
      L(`      var x = 0.0; if (m < p.M && k < kEnd) { x = ldA(${v.transA ? 'baseA + k * p.M + m' : 'baseA + m * p.K + k'}); }`);
      L(`      As[kk * ${BM}u + mm] = x;`);
    });
  }
  if (!v.transB && v.vecB) {
    loop((KT * BN) / 4, () => {
      L(`      let kk = idx / ${BN / 4}u; let nq = idx % ${BN / 4}u;`);
      L('      let n = n0 + nq * 4u; let k = k0 + kk;');
      L('      var x = vec4<f32>(0.0); if (n < p.N && k < kEnd) { x = B[(baseB + k * p.N + n) >> 2u]; }');
      L(`      Bs[kk * ${BN / 4}u + nq] = x;`);
    });
  } else if (v.transB && v.vecB) {
    // B stored [N, K]: a vec4 along k per column, scattered over 4 slice rows.
    loop((KT * BN) / 4, () => {
      L(`      let nn = idx / ${KT / 4}u; let kk = (idx % ${KT / 4}u) * 4u;`);
      L('      let n = n0 + nn; let k = k0 + kk;');
      L('      var x = vec4<f32>(0.0); if (n < p.N && k < kEnd) { x = B[(baseB + n * p.K + k) >> 2u]; }');
      for (const c of range(4)) L(`      Bs[(kk + ${c}u) * ${BN / 4}u + (nn >> 2u)][nn & 3u] = x.${XYZW[c]};`);
    });
  } else {
    loop(KT * BN, () => {
      if (v.transB) L(`      let nn = idx / ${KT}u; let kk = idx % ${KT}u;`);
      else L(`      let kk = idx / ${BN}u; let nn = idx % ${BN}u;`);
      L('      let n = n0 + nn; let k = k0 + kk;');
      L(`      var x = 0.0; if (n < p.N && k < kEnd) { x = ldB(${v.transB ? 'baseB + n * p.K + k' : 'baseB + k * p.N + n'}); }`);
      L(`      Bs[kk * ${BN / 4}u + (nn >> 2u)][nn & 3u] = x;`);
    });
  }
  L('    workgroupBarrier();');
  L(`    for (var kk = 0u; kk < ${KT}u; kk++) {`);
  for (const i of range(tm)) L(`      let a${i} = As[kk * ${BM}u + lid.y + ${wgY * i}u];`);
  for (const q of range(tn / 4)) L(`      let b${q} = Bs[kk * ${BN / 4}u + lid.x + ${wgX * q}u];`);
  for (const i of range(tm)) for (const q of range(tn / 4)) L(`      c${i}_${q} = fma(vec4<f32>(a${i}), b${q}, c${i}_${q});`);
  L('    }');
  L('    workgroupBarrier();');
  L('  }');
  L(
    epilogue(
      v,
      (i, q) => `c${i}_${q}`,
      (i) => `m0 + lid.y + ${wgY * i}u`,
      (q) => `n0 + (lid.x + ${wgX * q}u) * 4u`,
    ),
  );
  L('}');
  return lines.join('\n');
}

export function matmulWgsl(v: MatmulVariant): string {
  if (v.tile.tn % 4 !== 0 || v.tile.tm % 4 !== 0) throw new Error(`matmul tile ${v.tile.tm}×${v.tile.tn}: both must be multiples of 4`);
  return `${header(v)}\n${v.tile.shared ? sharedKernel(v) : registerKernel(v)}\n`;
}
