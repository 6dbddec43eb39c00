import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/tensor/engine';
import {
  launchConvGemmForward,
  launchConvGemmInputGrad,
  launchConvGemmWeightGrad,
  weightGradSplits,
  type ConvShape,
} from '../../src/tensor/conv/implicitGemm';
import { convForwardRef, convInputGradRef, convWeightGradRef, type RefWithScale } from '../../src/tensor/conv/reference';
import { directLaunch } from '../../src/tensor/conv/direct';
import {
  CONV_TILES,
  convEngine,
  convShapeClass,
  convTuneRecords,
  convTuningIdle,
  pickConvEngine,
  setConvAutotune,
  setConvEngine,
} from '../../src/tensor/conv/select';
import { conv2dOp } from '../../src/tensor/ops/conv2d';
import { convTileName, type ConvTile } from '../../src/tensor/conv/variant';
import { conv2dRef, convOutSize } from '../../src/tensor/reference/conv2d';
import { testEngine } from '../helpers/engine';
import { checkForward, checkGradient, expectClose, ref } from '../helpers/opcheck';
import { uniform } from '../helpers/random';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

const f32 = (n: number, seed: number) => Float32Array.from(uniform(n, seed));

function shape(N: number, Cin: number, H: number, W: number, Cout: number, K: number, stride: number, pad: number): ConvShape {
  return { N, Cin, H, W, Cout, K, stride, pad, Ho: convOutSize(H, K, stride, pad), Wo: convOutSize(W, K, stride, pad) };
}

/**
 * f32 summation of n terms with one rounding per fma is within n·2^-24·Σ|terms| of the
 * exact sum (inputs are f32, so the f64 reference is exact to ~1e-16): the bound per
 * element, from the reference's own Σ|terms|. A wrong tap, a missed border or a wrong
 * stride is off by a whole term (O(1) against a bound of ~1e-4 of the scale).
 */
function expectWithinRounding(got: ArrayLike<number>, ref: RefWithScale, terms: number, what: string): void {
  expect(got.length, what).toBe(ref.value.length);
  let worst = -1;
  let worstRatio = 1;
  for (let i = 0; i < got.length; i++) {
    const bound = (terms + 2) * 2 ** -24 * ref.absSum[i] + 1e-30;
    const ratio = Math.abs(got[i] - ref.value[i]) / bound;
    if (!(ratio <= worstRatio)) {
      worst = i;
      worstRatio = Number.isNaN(ratio) ? Infinity : ratio;
    }
  }
  if (worst >= 0)
    expect.fail(`${what}: element ${worst} is ${got[worst]}, expected ${ref.value[worst]} (${worstRatio.toFixed(1)}× the rounding bound)`);
}

// Tiles: the tuner's candidates plus odd ones (tm = 3, a single row or column of threads).
const TILES: ConvTile[] = [...CONV_TILES, { wgX: 16, wgY: 1, tm: 3, tn: 4 }, { wgX: 1, wgY: 8, tm: 1, tn: 4 }];

// Every channel count (1, 3, 5, 17), plane (1×1, 7×9, 33×31), kernel (1, 3, 5), stride (1, 2),
// pad (0..2) and batch (1, 3) appears, in combinations that keep the f64 references quick.
const CASES: ConvShape[] = [
  shape(1, 1, 1, 1, 1, 1, 1, 0),
  shape(3, 3, 1, 1, 5, 3, 1, 1),
  shape(1, 5, 1, 1, 3, 5, 2, 2),
  shape(1, 3, 7, 9, 5, 3, 1, 1),
  shape(3, 5, 7, 9, 3, 3, 2, 0),
  shape(1, 17, 7, 9, 3, 5, 1, 2),
  shape(3, 1, 7, 9, 17, 5, 2, 1),
  shape(1, 3, 7, 9, 1, 1, 2, 2),
  shape(3, 17, 7, 9, 5, 1, 1, 0),
  shape(1, 3, 33, 31, 17, 3, 1, 1),
  shape(3, 5, 33, 31, 5, 5, 2, 2),
  shape(1, 17, 33, 31, 1, 3, 2, 0),
  shape(3, 1, 33, 31, 3, 5, 1, 0),
];

const name = (d: ConvShape) => `N${d.N} Cin${d.Cin} ${d.H}×${d.W} Cout${d.Cout} k${d.K} s${d.stride} p${d.pad}`;

describe('implicit-GEMM conv2d kernels vs the f64 references', () => {
  for (const [ci, d] of CASES.entries()) {
    it(name(d), async () => {
      const nx = d.N * d.Cin * d.H * d.W;
      const nw = d.Cout * d.Cin * d.K * d.K;
      const ny = d.N * d.Cout * d.Ho * d.Wo;
      const [xs, ws, bs, dys] = [f32(nx, 10 + ci), f32(nw, 30 + ci), f32(d.Cout, 50 + ci), f32(ny, 70 + ci)];
      const fwd = convForwardRef(d, xs, ws, bs);
      const dxRef = convInputGradRef(d, dys, ws);
      const dwRef = convWeightGradRef(d, dys, xs);
      const x = e.fromArray(xs, [nx]);
      const w = e.fromArray(ws, [nw]);
      const b = e.fromArray(bs, [d.Cout]);
      const dy = e.fromArray(dys, [ny]);
      try {
        for (const tile of TILES) {
          const y = e.empty([ny]);
          const dx = e.empty([nx]);
          const dw = e.empty([nw]);
          launchConvGemmForward(e.gpu, x.buffer, w.buffer, b.buffer, y.buffer, d, tile);
          launchConvGemmInputGrad(e.gpu, dy.buffer, w.buffer, dx.buffer, d, tile);
          launchConvGemmWeightGrad(e.gpu, dy.buffer, x.buffer, dw.buffer, d, tile);
          const [yv, dxv, dwv] = await Promise.all([y.read(), dx.read(), dw.read()]);
          expect(e.gpu.takeErrors(), 'GPU validation errors').toEqual([]);
          const t = convTileName(tile);
          expectWithinRounding(yv, fwd, d.Cin * d.K * d.K, `forward ${t}`);
          expectWithinRounding(dxv, dxRef, d.Cout * d.K * d.K, `input gradient ${t}`);
          expectWithinRounding(dwv, dwRef, d.N * d.Ho * d.Wo, `weight gradient ${t}`);
          for (const z of [y, dx, dw]) z.dispose();
        }
      } finally {
        for (const z of [x, w, b, dy]) z.dispose();
      }
    });
  }

  it('weight gradient over several split-K chunks, and the same bits from every tile', async () => {
    const d = shape(3, 2, 33, 31, 3, 3, 1, 1);
    expect(weightGradSplits(d).splits).toBeGreaterThan(1);
    const dys = f32(d.N * d.Cout * d.Ho * d.Wo, 5);
    const xs = f32(d.N * d.Cin * d.H * d.W, 6);
    const x = e.fromArray(xs, [xs.length]);
    const dy = e.fromArray(dys, [dys.length]);
    const results: Float32Array[] = [];
    for (const tile of TILES) {
      const dw = e.empty([d.Cout * d.Cin * 9]);
      launchConvGemmWeightGrad(e.gpu, dy.buffer, x.buffer, dw.buffer, d, tile);
      results.push(await dw.read());
      dw.dispose();
    }
    x.dispose();
    dy.dispose();
    expectWithinRounding(results[0], convWeightGradRef(d, dys, xs), d.N * d.Ho * d.Wo, 'split-K weight gradient');
    for (const r of results.slice(1)) expect(Array.from(r)).toEqual(Array.from(results[0]));
  });
});

describe('the gradient references are the adjoints of conv2dRef', () => {
  // Central differences of the f64 forward: the loss Σ y·R is linear in x and in w, so the
  // difference quotient is exact up to f64 round-off (~1e-10 here).
  for (const d of [shape(2, 3, 5, 4, 2, 3, 2, 1), shape(1, 2, 4, 5, 3, 2, 1, 0)]) {
    it(name(d), () => {
      const nx = d.N * d.Cin * d.H * d.W;
      const nw = d.Cout * d.Cin * d.K * d.K;
      const xs = uniform(nx, 1);
      const ws = uniform(nw, 2);
      const R = uniform(d.N * d.Cout * d.Ho * d.Wo, 3);
      const loss = (xv: Float64Array, wv: Float64Array) => {
        const y = conv2dRef({ data: xv, shape: [d.N, d.Cin, d.H, d.W] }, { data: wv, shape: [d.Cout, d.Cin, d.K, d.K] }, null, d).data;
        return y.reduce((s, v, i) => s + v * R[i], 0);
      };
      const fd = (v: Float64Array, i: number, l: (u: Float64Array) => number) => {
        const u = Float64Array.from(v);
        u[i] += 1e-3;
        const up = l(u);
        u[i] -= 2e-3;
        return (up - l(u)) / 2e-3;
      };
      const dx = convInputGradRef(d, R, ws).value;
      const dw = convWeightGradRef(d, R, xs).value;
      expectClose(
        Array.from(xs, (_, i) => fd(xs, i, (u) => loss(u, ws))),
        dx,
        1e-8,
        1e-8,
        'dx',
      );
      expectClose(
        Array.from(ws, (_, i) => fd(ws, i, (u) => loss(xs, u))),
        dw,
        1e-8,
        1e-8,
        'dw',
      );
    });
  }
});

describe("the direct-kernel descriptions the tuner times are the op's kernels", () => {
  it('forward, input gradient, weight gradient vs the f64 references', async () => {
    const d = shape(3, 5, 7, 9, 3, 3, 2, 1);
    const [nx, nw, ny] = [d.N * d.Cin * d.H * d.W, d.Cout * d.Cin * 9, d.N * d.Cout * d.Ho * d.Wo];
    const [xs, ws, dys] = [f32(nx, 1), f32(nw, 2), f32(ny, 3)];
    const [x, w, dy] = [e.fromArray(xs, [nx]), e.fromArray(ws, [nw]), e.fromArray(dys, [ny])];
    const [y, dx, dw] = [e.empty([ny]), e.empty([nx]), e.empty([nw])];
    const run = (kind: 'forward' | 'inputGrad' | 'weightGrad', buffers: GPUBuffer[]) => {
      const l = directLaunch(kind, d, false);
      expect(l.outFloats).toBeLessThanOrEqual(buffers[buffers.length - 1].size / 4); // pooled buffers round up
      e.gpu.dispatch(l.kernel, l.entry, buffers, l.grid, l.uniforms);
    };
    run('forward', [x.buffer, w.buffer, e.gpu.placeholder('read'), y.buffer]);
    run('inputGrad', [dy.buffer, w.buffer, dx.buffer]);
    run('weightGrad', [dy.buffer, x.buffer, dw.buffer]); // one chunk: N·Ho·Wo ≤ 512
    const [yv, dxv, dwv] = await Promise.all([y.read(), dx.read(), dw.read()]);
    expect(e.gpu.takeErrors()).toEqual([]);
    expectWithinRounding(yv, convForwardRef(d, xs, ws, null), d.Cin * 9, 'direct forward');
    expectWithinRounding(dxv, convInputGradRef(d, dys, ws), d.Cout * 9, 'direct input gradient');
    expectWithinRounding(dwv, convWeightGradRef(d, dys, xs), d.N * d.Ho * d.Wo, 'direct weight gradient');
    for (const t of [x, w, dy, y, dx, dw]) t.dispose();
  });
});

// Through the op with the GEMM engine forced: forward against conv2dRef (sums of ≤ 125
// products of O(1) f32 values: 1e-5 relative leaves margin over ~1e-6) and every gradient
// against central differences of the f64 reference (1e-4 of the largest gradient: f32 sums
// over ≤ a few hundred terms), as tests/cosmic/imageOps.test.ts does for the direct kernels.
describe('conv2d op on the implicit-GEMM engine', () => {
  const img = (s: number[], seed: number) =>
    ref(
      uniform(
        s.reduce((a, b) => a * b, 1),
        seed,
      ).map(Math.fround),
      s,
    );
  beforeAll(() => setConvEngine(e.gpu, 'gemm', CONV_TILES[0]));
  afterAll(() => setConvEngine(e.gpu, 'auto'));
  const cases = [
    { x: [3, 3, 7, 9], w: [5, 3, 3, 3], stride: 1, pad: 1 },
    { x: [1, 5, 7, 9], w: [3, 5, 5, 5], stride: 2, pad: 2 },
    { x: [3, 1, 1, 1], w: [17, 1, 3, 3], stride: 1, pad: 1 },
    { x: [1, 3, 7, 9], w: [5, 3, 2, 2], stride: 2, pad: 0 },
    { x: [3, 2, 16, 12], w: [2, 2, 3, 3], stride: 1, pad: 1 }, // weight gradient in 3 split-K chunks
  ];
  for (const [i, c] of cases.entries()) {
    const label = `x [${c.x}] w [${c.w}] stride ${c.stride} pad ${c.pad}`;
    it(`forward ${label}`, async () => {
      const at = { stride: c.stride, pad: c.pad };
      await checkForward(e, conv2dOp, [img(c.x, 1 + i), img(c.w, 2 + i), img([c.w[0]], 3 + i)], at, 1e-5, 1e-5);
      await checkForward(e, conv2dOp, [img(c.x, 4 + i), img(c.w, 5 + i)], at, 1e-5, 1e-5);
    });
    it(`backward ${label} (dX, dW, dB) vs finite differences`, async () => {
      const at = { stride: c.stride, pad: c.pad };
      await checkGradient(e, conv2dOp, [img(c.x, 6 + i), img(c.w, 7 + i), img([c.w[0]], 8 + i)], at, 1e-4, 1e-4, 24);
    });
  }
});

describe('conv2d engine tuner', () => {
  afterAll(() => setConvAutotune(e.gpu, true));
  it('times direct and GEMM on a proxy, keeps the choice per shape class, and either engine gives the reference within rounding', async () => {
    const d = shape(1, 32, 64, 64, 32, 3, 1, 1); // 37.7 M multiply-adds: above MIN_TUNED_MACS
    setConvEngine(e.gpu, 'auto');
    setConvAutotune(e.gpu, true);
    const [nx, nw] = [d.Cin * d.H * d.W, d.Cout * d.Cin * 9];
    const [xs, ws] = [f32(nx, 41), f32(nw, 42)];
    const x = e.fromArray(xs, [1, d.Cin, d.H, d.W]);
    const w = e.fromArray(ws, [d.Cout, d.Cin, 3, 3]);
    const fwd = convForwardRef(d, xs, ws, null);
    expect(convEngine(e.gpu, 'forward', d).engine, 'untuned: direct').toBe('direct');
    const before = e.apply(conv2dOp, [x, w], { stride: 1, pad: 1 });
    expectWithinRounding(await before.read(), fwd, d.Cin * 9, 'before tuning');
    await convTuningIdle(e.gpu);
    const rec = convTuneRecords(e.gpu).find((r) => r.shapeClass === convShapeClass('forward', d));
    expect(rec, 'a tuning record for the class').toBeDefined();
    expect(Object.keys(rec!.timesMs)).toEqual(['direct', ...CONV_TILES.map(convTileName)]);
    expect(rec!.chosen).toBe(pickConvEngine(rec!.timesMs));
    const now = convEngine(e.gpu, 'forward', d);
    expect(now.engine === 'direct' ? 'direct' : convTileName(now.tile)).toBe(rec!.chosen);
    const after = e.apply(conv2dOp, [x, w], { stride: 1, pad: 1 });
    expectWithinRounding(await after.read(), fwd, d.Cin * 9, `after tuning (${rec!.chosen})`);
    for (const t of [x, w, before, after]) t.dispose();
    expect(e.gpu.takeErrors()).toEqual([]);
  });
  it('picks direct unless a tile is at least 5 % faster', () => {
    expect(pickConvEngine({ direct: 10, r: 9.6 })).toBe('direct');
    expect(pickConvEngine({ direct: 10, r8x4: 9, r8x8: 8 })).toBe('r8x8');
    expect(pickConvEngine({ direct: 10, r8x4: Infinity })).toBe('direct');
  });
});
