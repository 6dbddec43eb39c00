import { beforeAll, describe, expect, it } from 'vitest';
import { matmulOp, type MatmulAttrs } from '../../src/tensor/ops/matmul';
import { launchMatmul, matmulSplits, type Activation } from '../../src/tensor/kernels';
import {
  TILE_CANDIDATES,
  defaultTile,
  matmulTile,
  matmulTuneRecords,
  matmulTuningIdle,
  setMatmulAutotune,
  shapeClass,
} from '../../src/tensor/matmul/autotune';
import { tileName, vectorWidths, type TileShape } from '../../src/tensor/matmul/variant';
import { matmulRef } from '../../src/tensor/reference/matmul';
import type { Engine } from '../../src/tensor/engine';
import { testEngine } from '../helpers/engine';
import { checkForward, checkGradient, expectClose, ref } from '../helpers/opcheck';
import { uniform } from '../helpers/random';

// A dot product of length K in f32 with fma accumulates relative error ~K·2^-24 in the
// worst case; for K ≤ 300 and inputs in [-1, 1] that is < 2e-5 of the largest |C|.
const RTOL = 1e-4;
const ATOL_REL = 2e-5;

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
  // The first product of a shape class takes the default tile whether or not tuning is on;
  // off here, large products do not time every candidate in the background (seconds on
  // SwiftShader). The autotune test at the end turns it on for itself.
  setMatmulAutotune(e.gpu, false);
});

function operands(M: number, N: number, K: number, at: MatmulAttrs, batch = 0, seed = 1) {
  const a = at.transA ? [K, M] : [M, K];
  const b = at.transB ? [N, K] : [K, N];
  const lead = batch ? [batch] : [];
  const size = (s: number[]) => s.reduce((x, y) => x * y, 1) * (batch || 1);
  return [ref(uniform(size(a), seed), [...lead, ...a]), ref(uniform(size(b), seed + 1), [...lead, ...b])];
}

describe('matmul forward', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [7, 7, 7],
    [1, 257, 3],
    [65, 1, 129],
    [257, 63, 70],
    [64, 64, 64],
  ];
  for (const [M, N, K] of shapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`M${M} N${N} K${K} tA=${transA} tB=${transB}`, async () => {
          const at = { transA, transB };
          await checkForward(e, matmulOp, operands(M, N, K, at), at, RTOL, ATOL_REL);
        });
      }
    }
  }
  for (const activation of ['relu', 'gelu', 'sigmoid', 'tanh'] as const) {
    it(`fused bias + ${activation}, M130 N67 K33`, async () => {
      const at = { activation };
      await checkForward(e, matmulOp, [...operands(130, 67, 33, at), ref(uniform(67, 7), [67])], at, RTOL, ATOL_REL);
    });
  }
  // Few output tiles and a long K take the split-K path (partial products + reduction).
  for (const [M, N, K, tA] of [
    [7, 5, 1000, true],
    [70, 65, 2049, true],
    [3, 130, 777, false],
  ] as [number, number, number, boolean][]) {
    it(`split-K M${M} N${N} K${K} tA=${tA}`, async () => {
      const at = { transA: tA };
      expect(matmulSplits({ M, N, K, batch: 1, transA: tA, transB: false, strideA: 0, strideB: 0, act: 'none' })).toBeGreaterThan(1);
      // K up to 2049 terms: f32 error grows ~sqrt(K)·2^-24 relative to Σ|a·b| ≈ K/4.
      await checkForward(e, matmulOp, operands(M, N, K, at), at, RTOL, 1e-4);
    });
  }
  it('split-K batched', async () => {
    expect(
      matmulSplits({ M: 9, N: 11, K: 600, batch: 2, transA: false, transB: false, strideA: 1, strideB: 1, act: 'none' }),
    ).toBeGreaterThan(1);
    await checkForward(e, matmulOp, operands(9, 11, 600, {}, 2), {}, RTOL, 1e-4);
  });
  it('batched [3, 17, 9]·[3, 9, 70]ᵀ', async () => {
    const at = { transB: true };
    await checkForward(e, matmulOp, operands(17, 70, 9, at, 3), at, RTOL, ATOL_REL);
  });
});

describe('matmul backward vs finite differences', () => {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      it(`tA=${transA} tB=${transB} M7 N5 K9`, async () => {
        const at = { transA, transB };
        await checkGradient(e, matmulOp, operands(7, 5, 9, at), at, 1e-3, 1e-4);
      });
    }
  }
  for (const activation of ['relu', 'gelu', 'sigmoid', 'tanh'] as const) {
    it(`bias + ${activation}`, async () => {
      const at = { activation, transB: true };
      await checkGradient(e, matmulOp, [...operands(9, 6, 5, at, 0, 3), ref(uniform(6, 4), [6])], at, 1e-3, 1e-4);
    });
  }
  it('batched', async () => {
    const at = { transA: true };
    await checkGradient(e, matmulOp, operands(5, 4, 3, at, 2, 8), at, 1e-3, 1e-4);
  });
});

// ---- every generated variant against the f64 reference -------------------------------------
// launchMatmul with an explicit tile. Each variant is its own WGSL text, and compiling it is
// most of this section's time on SwiftShader (seconds for the staged tiles), so cases are
// grouped by variant: every tile of both families (register-tiled, staged in workgroup
// memory) compiles four variants that between them take each operand path of the kernel
// once (A and B each scalar or vec4, straight or transposed; C scalar and vec4), and each of
// them runs on several shapes (odd sizes: clamped edges and a K tail; one row; fewer rows
// or columns than a tile; multiples of 4 that are not multiples of any tile). Epilogues
// (bias, each activation, the pre-activation Z) on both families and both store layouts;
// batch with a broadcast operand; split-K. Same tolerances as above (K ≤ 300 here except
// split-K).

interface VariantCase {
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  batch?: number;
  broadcastB?: boolean;
  bias?: boolean;
  act?: Activation;
  z?: boolean;
}

/** Runs one product through `tile`; returns C (and Z) with the f64 reference of both. */
async function runVariant(tile: TileShape, c: VariantCase) {
  const { M, N, K, transA, transB } = c;
  const batch = c.batch ?? 1;
  const act = c.act ?? 'none';
  const aShape = transA ? [K, M] : [M, K];
  const bShape = transB ? [N, K] : [K, N];
  const aData = uniform(batch * M * K, M + 3 * N + 7 * K);
  const bBatch = c.broadcastB ? 1 : batch;
  const bData = uniform(bBatch * K * N, M * 5 + N + K);
  const biasData = c.bias ? uniform(N, 17) : null;
  const a = e.fromArray(Float32Array.from(aData), [batch * aShape[0], aShape[1]]);
  const b = e.fromArray(Float32Array.from(bData), [bBatch * bShape[0], bShape[1]]);
  const bias = biasData ? e.fromArray(Float32Array.from(biasData), [N]) : undefined;
  const out = e.empty([batch * M, N]);
  const z = c.z ? e.empty([batch * M, N]) : undefined;
  launchMatmul(e.gpu, a, b, out, {
    M,
    N,
    K,
    transA,
    transB,
    batch,
    strideA: M * K,
    strideB: c.broadcastB ? 0 : K * N,
    bias,
    act,
    z,
    tile,
  });
  const got = await out.read();
  const gotZ = z ? await z.read() : null;
  for (const t of [a, b, bias, out, z]) t?.dispose();
  expect(e.gpu.takeErrors(), 'GPU validation errors').toEqual([]);
  const refC = new Float64Array(batch * M * N);
  const refZ = new Float64Array(batch * M * N);
  for (let t = 0; t < batch; t++) {
    const slice = (d: Float64Array, n: number, i: number) => d.subarray(i * n, (i + 1) * n);
    const A = { data: slice(aData, M * K, t), shape: aShape };
    const B = { data: slice(bData, K * N, c.broadcastB ? 0 : t), shape: bShape };
    const bt = biasData ? { data: biasData, shape: [N] } : null;
    refC.set(matmulRef(A, B, bt, { transA, transB, activation: act }).data, t * M * N);
    refZ.set(matmulRef(A, B, bt, { transA, transB }).data, t * M * N);
  }
  return { got, gotZ, refC, refZ };
}

function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

async function checkVariant(tile: TileShape, c: VariantCase, atolRel = ATOL_REL): Promise<Float32Array> {
  const { got, gotZ, refC, refZ } = await runVariant(tile, c);
  const scale = Math.max(1, maxAbs(refZ));
  expectClose(got, refC, RTOL, atolRel * scale, `${tileName(tile)} C`);
  if (gotZ) expectClose(gotZ, refZ, RTOL, atolRel * scale, `${tileName(tile)} Z`);
  return got;
}

/** One variant: transposes, epilogue, and the vec4 layout its shapes must all have (asserted). */
interface VariantGroup {
  name: string;
  transA: boolean;
  transB: boolean;
  bias?: boolean;
  act?: Activation;
  vec: { vecA: boolean; vecB: boolean; vecC: boolean };
  shapes: [number, number, number][];
}

/** Between them each operand path once: A, B scalar or vec4 (along K, or along M / N when not), C scalar or vec4. */
const PATH_GROUPS: VariantGroup[] = [
  {
    name: 'A, B scalar, C scalar',
    transA: false,
    transB: false,
    vec: { vecA: false, vecB: false, vecC: false },
    shapes: [
      [37, 29, 19],
      [1, 13, 7],
      [257, 3, 5],
    ],
  },
  {
    name: 'Aᵀ, Bᵀ scalar, C scalar',
    transA: true,
    transB: true,
    vec: { vecA: false, vecB: false, vecC: false },
    shapes: [
      [37, 29, 19],
      [1, 13, 7],
      [3, 130, 9],
    ],
  },
  {
    name: 'A vec4 along K, Bᵀ vec4 along K, C vec4',
    transA: false,
    transB: true,
    vec: { vecA: true, vecB: true, vecC: true },
    shapes: [
      [68, 36, 20],
      [1, 12, 8],
      [5, 4, 4],
    ],
  },
  {
    // bias + gelu here too: the same-bits test below reuses this variant on every tile
    name: 'Aᵀ vec4 along M, B vec4 along N, C vec4, bias + gelu',
    transA: true,
    transB: false,
    bias: true,
    act: 'gelu',
    vec: { vecA: true, vecB: true, vecC: true },
    shapes: [
      [68, 36, 20],
      [4, 12, 8],
      [132, 4, 3],
    ],
  },
];

async function checkGroup(tile: TileShape, g: VariantGroup) {
  for (const [M, N, K] of g.shapes) {
    expect(vectorWidths(M, N, K, g.transA, g.transB), `${g.name}: M${M} N${N} K${K}`).toEqual(g.vec);
    await checkVariant(tile, { M, N, K, transA: g.transA, transB: g.transB, bias: g.bias, act: g.act });
  }
}

describe('matmul variants vs f64', () => {
  beforeAll(() => setMatmulAutotune(e.gpu, false));
  for (const tile of TILE_CANDIDATES) {
    it(`${tileName(tile)}: each operand path, odd and vec4 shapes`, async () => {
      for (const g of PATH_GROUPS) await checkGroup(tile, g);
    });
  }
  const families = [TILE_CANDIDATES.find((t) => !t.shared)!, TILE_CANDIDATES.find((t) => t.shared)!];
  // Bias, the activation and the Z store are the same text in both families; their row and
  // column mapping and their scalar (odd N) and vec4 stores differ: each family stores with
  // and without Z in both layouts, and each activation runs once.
  const epilogues: [TileShape, Activation, 'odd' | 'vec4'][] = [
    [families[0], 'none', 'vec4'],
    [families[0], 'gelu', 'odd'],
    [families[0], 'relu', 'vec4'],
    [families[1], 'none', 'odd'],
    [families[1], 'sigmoid', 'odd'],
    [families[1], 'tanh', 'vec4'],
  ];
  for (const [tile, act, layout] of epilogues) {
    it(`${tileName(tile)} bias + ${act}${act === 'none' ? '' : ' + Z'}, ${layout} layout`, async () => {
      const z = act !== 'none';
      if (layout === 'odd') await checkVariant(tile, { M: 33, N: 7, K: 13, transA: false, transB: true, bias: true, act, z });
      else await checkVariant(tile, { M: 40, N: 44, K: 24, transA: true, transB: false, bias: true, act, z });
    });
  }
  for (const tile of families) {
    it(`${tileName(tile)} batched with a broadcast B, 257 rows`, async () => {
      await checkVariant(tile, { M: 257, N: 9, K: 7, transA: false, transB: false, batch: 3, broadcastB: true });
      await checkVariant(tile, { M: 12, N: 16, K: 8, transA: false, transB: true, batch: 2 });
    });
    it(`${tileName(tile)} split-K (odd and vec4 K)`, async () => {
      for (const [M, N, K, tA, tB] of [
        [7, 5, 1001, true, true],
        [12, 8, 1024, false, true],
      ] as [number, number, number, boolean, boolean][]) {
        expect(matmulSplits({ M, N, K, batch: 1, transA: tA, transB: tB, strideA: 0, strideB: 0, act: 'none' })).toBeGreaterThan(1);
        await checkVariant(tile, { M, N, K, transA: tA, transB: tB }, 1e-4);
      }
    });
  }
  it('every tile gives the same bits (the tuner never changes a result)', async () => {
    // K = 51: neither operand is read along K, so every tile also sums a K tail
    const c: VariantCase = { M: 44, N: 36, K: 51, transA: true, transB: false, bias: true, act: 'gelu' };
    const first = await checkVariant(TILE_CANDIDATES[0], c);
    for (const tile of TILE_CANDIDATES.slice(1)) {
      const got = (await runVariant(tile, c)).got;
      expect(Array.from(got), tileName(tile)).toEqual(Array.from(first));
    }
  });
});

describe('matmul autotune', () => {
  it('times the candidates of a shape class once and then uses the fastest', async () => {
    const g = e.gpu;
    setMatmulAutotune(g, true);
    try {
      const [M, N, K] = [128, 132, 136];
      const before = matmulTuneRecords(g).length;
      const first = matmulTile(g, M, N, K, false, true);
      expect(first).toEqual(defaultTile(g));
      await matmulTuningIdle(g);
      const recs = matmulTuneRecords(g).slice(before);
      expect(recs.map((r) => r.shapeClass)).toEqual([shapeClass(M, N, K, false, true)]);
      const times = Object.entries(recs[0].timesMs);
      expect(times.length).toBeGreaterThanOrEqual(3);
      for (const [, ms] of times) expect(ms).toBeGreaterThan(0);
      const fastest = times.reduce((x, y) => (y[1] < x[1] ? y : x))[0];
      expect(recs[0].chosen).toBe(fastest);
      expect(tileName(matmulTile(g, M, N, K, false, true))).toBe(fastest);
      // Same class (same powers of two and vec4 layout): no second tuning run.
      matmulTile(g, 120, 140, 132, false, true);
      await matmulTuningIdle(g);
      expect(matmulTuneRecords(g).length).toBe(before + 1);
    } finally {
      setMatmulAutotune(g, false);
    }
  });
});
