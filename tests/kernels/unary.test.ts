import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/tensor/engine';
import { UNARY_OPS, gelu } from '../../src/tensor/ops/elementwise';
import { UNARY_MATH_OPS, elu, erf, expm1, geluErf, leakyRelu, log1p, softplus, type UnaryParams } from '../../src/tensor/ops/unary';
import { UNARY_MATH_REF, erf64, erfc64, unaryRef } from '../../src/tensor/reference/elementwise';
import { testEngine } from '../helpers/engine';
import { checkForward, checkGradient, expectClose, ref } from '../helpers/opcheck';
import { uniform } from '../helpers/random';

// Forward: each op is a short f32 chain around GPU builtins accurate to a few ulp (exp, log,
// sqrt, pow) or our own polynomials (erf: fit error 1e-9, ~1 ulp of rounding): 1e-5 relative
// plus 1e-6·max|y| absolute leaves an order of magnitude of margin on all of them.
const FWD_RTOL = 1e-5;
// Backward: the same builtins once more, against f64 central differences.
const GRAD_RTOL = 1e-4;

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

interface Case {
  lo: number;
  hi: number;
  attrs?: Partial<UnaryParams>;
  awayFrom?: number;
}
/** Input range per op (inside its domain) and its parameters; `awayFrom`: a kink to avoid. */
const CASES: Record<keyof typeof UNARY_MATH_OPS, Case> = {
  neg: { lo: -3, hi: 3 },
  abs: { lo: -3, hi: 3, awayFrom: 0 },
  sqrt: { lo: 0.1, hi: 4 },
  rsqrt: { lo: 0.1, hi: 4 },
  square: { lo: -3, hi: 3 },
  log1p: { lo: -0.9, hi: 3 },
  expm1: { lo: -3, hi: 3 },
  erf: { lo: -4.5, hi: 4.5 },
  leakyRelu: { lo: -3, hi: 3, attrs: { alpha: 0.01 }, awayFrom: 0 },
  elu: { lo: -3, hi: 3, attrs: { alpha: 1.3 }, awayFrom: 0 },
  // crosses the threshold (βx > 5) on the right
  softplus: { lo: -8, hi: 8, attrs: { alpha: 2, beta: 5 }, awayFrom: 2.5 },
  geluErf: { lo: -6, hi: 6 },
  addScalar: { lo: -3, hi: 3, attrs: { alpha: 1.25 } },
  rsubScalar: { lo: -3, hi: 3, attrs: { alpha: 1.25 } },
  divScalar: { lo: -3, hi: 3, attrs: { alpha: -0.75 } },
  rdivScalar: { lo: 0.3, hi: 3, attrs: { alpha: -0.75 } },
  powScalar: { lo: 0.2, hi: 3, attrs: { alpha: 1.7 } },
  rpowScalar: { lo: -3, hi: 3, attrs: { alpha: 1.7 } },
  maximumScalar: { lo: -3, hi: 3, attrs: { alpha: 0.5 }, awayFrom: 0.5 },
  minimumScalar: { lo: -3, hi: 3, attrs: { alpha: 0.5 }, awayFrom: 0.5 },
};

const attrsOf = (c: Case): UnaryParams => ({ alpha: c.attrs?.alpha ?? 0, beta: c.attrs?.beta ?? 0 });

/** Uniform inputs, nudged ≥ 1e-3 away from a kink so finite differences do not straddle it. */
function inputs(n: number, seed: number, c: Case): Float64Array {
  const x = uniform(n, seed, c.lo, c.hi);
  if (c.awayFrom !== undefined) {
    for (let i = 0; i < n; i++) if (Math.abs(x[i] - c.awayFrom) < 1e-3) x[i] = c.awayFrom + 1e-3;
  }
  return x;
}

describe('unary ops: forward vs f64 reference, backward vs finite differences', () => {
  for (const [name, op] of Object.entries(UNARY_MATH_OPS) as [keyof typeof CASES, (typeof UNARY_MATH_OPS)[keyof typeof CASES]][]) {
    const c = CASES[name];
    for (const n of [1, 7, 257, 70_001]) {
      it(`${name} forward n=${n}`, async () => {
        await checkForward(e, op, [ref(inputs(n, n + 1, c), [n])], attrsOf(c), FWD_RTOL, 1e-6);
      });
    }
    it(`${name} backward`, async () => {
      await checkGradient(e, op, [ref(inputs(257, 3, c), [257])], attrsOf(c), GRAD_RTOL, 1e-5);
    });
  }

  it('rank-0 and 2-D tensors keep their shapes', async () => {
    await checkForward(e, UNARY_MATH_OPS.geluErf, [ref([0.3], [])], { alpha: 0, beta: 0 }, FWD_RTOL, 1e-6);
    await checkForward(e, UNARY_MATH_OPS.square, [ref(uniform(21, 4), [3, 7])], { alpha: 0, beta: 0 }, FWD_RTOL, 1e-6);
  });
});

describe('accuracy where naive f32 formulas fail', () => {
  const tiny = Float64Array.from([1e-8, -1e-8, 3e-7, -3e-7, 1e-5, -1e-5, 2e-3, -2e-3, 0.1, -0.1, 0.3, -0.3].map(Math.fround));

  it('log1p, expm1 and elu keep their relative accuracy near 0 (1 + x would round x away)', async () => {
    // Relative error only, no absolute floor: a few ulp (~3e-7) allowed. log(1 + x) in f32 is
    // off by up to 100% at 1e-8 and expm1 as exp(x) − 1 likewise.
    const x = e.fromArray(Float32Array.from(tiny), [tiny.length]);
    expectClose(await log1p(x).read(), tiny.map(Math.log1p), 1e-6, 0, 'log1p');
    expectClose(await expm1(x).read(), tiny.map(Math.expm1), 1e-6, 0, 'expm1');
    expectClose(
      await elu(x, 1).read(),
      tiny.map((v) => UNARY_MATH_REF.elu(v, 1, 0)),
      1e-6,
      0,
      'elu',
    );
    expectClose(await erf(x).read(), tiny.map(erf64), 1e-6, 0, 'erf');
  });

  it('erf is within 1.5e-7 absolute of the f64 erf on a dense grid over [-6, 6]', async () => {
    // ~2 ulp of values near 1 (ulp 6e-8); Abramowitz–Stegun 7.1.26 would be off by 1.5e-7 at best.
    const xs = Float64Array.from({ length: 24_001 }, (_, i) => Math.fround(-6 + i * 0.0005));
    const got = await erf(e.fromArray(Float32Array.from(xs), [xs.length])).read();
    let worst = 0;
    for (let i = 0; i < xs.length; i++) worst = Math.max(worst, Math.abs(got[i] - erf64(xs[i])));
    expect(worst).toBeLessThan(1.5e-7);
  });

  it('exact GELU keeps its relative accuracy in the lower tail (x down to -12)', async () => {
    // Φ(x) comes from erfc, not 1 + erf (which cancels to nothing below x ≈ -5.5). exp's
    // argument reaches x²/2 = 72, where GPU exp is allowed a few ulp per unit of argument:
    // 2e-5 relative.
    const xs = Float64Array.from({ length: 2_001 }, (_, i) => Math.fround(-12 + i * 0.0055));
    const got = await geluErf(e.fromArray(Float32Array.from(xs), [xs.length])).read();
    expectClose(
      got,
      xs.map((v) => UNARY_MATH_REF.geluErf(v, 0, 0)),
      2e-5,
      0,
      'geluErf tail',
    );
  });

  it('the f64 erf reference matches published values', () => {
    // erf(0.5), erf(1), erf(2), erfc(4), erfc(6) to 16 digits (DLMF / mpmath).
    expectClose(
      [erf64(0.5), erf64(1), erf64(2), erf64(-2)],
      [0.5204998778130465, 0.8427007929497149, 0.9953222650189527, -0.9953222650189527],
      1e-14,
      0,
      'erf64',
    );
    expectClose([erfc64(4), erfc64(6), erfc64(-1)], [1.541725790028002e-8, 2.151973671249891e-17, 1.842700792949715], 1e-13, 0, 'erfc64');
  });
});

describe('activations: defaults and torch conventions', () => {
  const xs = [-25, -3, -1, -0.5, 0.5, 1, 3, 25];
  const X = () => e.fromArray(xs, [xs.length]);

  it('gelu stays the tanh approximation; gelu(x, {approximate: "none"}) is the exact erf form', async () => {
    const x = X();
    expect(Array.from(await gelu(x).read())).toEqual(Array.from(await e.apply(UNARY_OPS.gelu, [x], { alpha: 1 }).read()));
    expect(Array.from(await gelu(x, { approximate: 'none' }).read())).toEqual(Array.from(await geluErf(x).read()));
    // The two forms differ by ~1e-4 at x = -2, far above f32 error, so the test tells them apart.
    const d = unaryRef('gelu', { data: Float64Array.of(-2), shape: [1] }).data[0] - UNARY_MATH_REF.geluErf(-2, 0, 0);
    expect(Math.abs(d)).toBeGreaterThan(5e-5);
  });

  it('leakyRelu defaults to slope 0.01 and softplus to beta 1, threshold 20', async () => {
    expectClose(
      await leakyRelu(X()).read(),
      xs.map((v) => (v > 0 ? v : 0.01 * v)),
      1e-6,
      0,
      'leakyRelu',
    );
    // softplus(25) is exactly 25 above the threshold; below it log1p(e^x).
    expectClose(
      await softplus(X()).read(),
      xs.map((v) => (v > 20 ? v : Math.log1p(Math.exp(v)))),
      1e-5,
      0,
      'softplus',
    );
  });

  it('sigmoid and tanh saturate without NaN at large |x|', async () => {
    const wide = uniform(257, 12, -90, 90);
    for (const op of [UNARY_OPS.sigmoid, UNARY_OPS.tanh]) {
      await checkForward(e, op, [ref(wide, [257])], { alpha: 1 }, FWD_RTOL, 1e-6);
    }
  });
});
