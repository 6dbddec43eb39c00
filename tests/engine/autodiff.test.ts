import { beforeAll, describe, expect, it } from 'vitest';
import { detach, valueAndGrad } from '../../src/tensor/autodiff';
import type { Engine } from '../../src/tensor/engine';
import { gt } from '../../src/tensor/ops/broadcast';
import { add, mul, sub } from '../../src/tensor/ops/elementwise';
import { sum } from '../../src/tensor/ops/reduce';
import { where } from '../../src/tensor/ops/where';
import type { Tensor } from '../../src/tensor/tensor';
import { testEngine } from '../helpers/engine';
import { expectClose } from '../helpers/opcheck';
import { uniform } from '../helpers/random';

// Values are f32 sums of ≤ 35 products (relative error ≲ 1e-6): 1e-5 is loose but still far
// below any wrong-formula difference (those are O(1)).
const RTOL = 1e-5;

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

const f32 = (xs: Float64Array) => xs.map(Math.fround);
const inUse = () => {
  e.gpu.submit();
  return e.gpu.pool.getStats().inUseBytes;
};

describe('valueAndGrad', () => {
  it('returns the value and the gradients of a broadcasting function', async () => {
    // f(x [7,3], b [3]) = Σ (x + b)·x  →  df/dx = 2x + b, df/db_j = Σ_i x_ij
    const X = f32(uniform(21, 1)),
      B = f32(uniform(3, 2));
    const x = e.fromArray(Float32Array.from(X), [7, 3]).keep();
    const b = e.fromArray(Float32Array.from(B), [3]).keep();
    const {
      value,
      grads: [dx, db],
    } = valueAndGrad((x, b) => sum(mul(add(x, b), x)), [x, b]);
    let f = 0;
    const dB = new Float64Array(3);
    for (let i = 0; i < 21; i++) {
      f += (X[i] + B[i % 3]) * X[i];
      dB[i % 3] += X[i];
    }
    expectClose([await value.item()], [f], RTOL, 0, 'value');
    expectClose(
      await dx.read(),
      X.map((v, i) => 2 * v + B[i % 3]),
      RTOL,
      1e-6,
      'dx',
    );
    expectClose(await db.read(), dB, RTOL, 1e-6, 'db');
    expect(dx.shape).toEqual([7, 3]);
    expect(db.shape).toEqual([3]);
    for (const t of [x, b, value, dx, db]) t.dispose();
  });

  it('matches finite differences through where and comparisons (f64 composition)', async () => {
    // L(a [4,1], b [1,5]) = Σ where(a > b, a·b, a − b)
    const A = f32(uniform(4, 3, -1, 1)),
      Bv = f32(uniform(5, 4, -1, 1));
    const L = (A: Float64Array, B: Float64Array) => {
      let s = 0;
      for (let i = 0; i < 4; i++) for (let j = 0; j < 5; j++) s += A[i] > B[j] ? A[i] * B[j] : A[i] - B[j];
      return s;
    };
    const a = e.fromArray(Float32Array.from(A), [4, 1]).keep();
    const b = e.fromArray(Float32Array.from(Bv), [1, 5]).keep();
    const { value, grads } = valueAndGrad((a, b) => sum(where(gt(a, b), mul(a, b), sub(a, b))), [a, b]);
    expectClose([await value.item()], [L(A, Bv)], RTOL, 1e-6, 'value');
    const h = 1e-6;
    for (const [k, X] of [
      [0, A],
      [1, Bv],
    ] as const) {
      const fd = Array.from(X, (_, i) => {
        const up = Float64Array.from(X),
          down = Float64Array.from(X);
        up[i] += h;
        down[i] -= h;
        return (k === 0 ? L(up, Bv) - L(down, Bv) : L(A, up) - L(A, down)) / (2 * h);
      });
      expectClose(await grads[k].read(), fd, 1e-4, 1e-5, `d/d input ${k}`);
    }
    for (const t of [a, b, value, ...grads]) t.dispose();
  });

  it('leaves requiresGrad, .grad and the tape as they were, and frees everything it does not return', async () => {
    const x = e.fromArray([1, 2, 3], [3]).keep();
    const w = e.parameter(Float32Array.of(4, 5, 6), [3]);
    const oldGrad = e.full([3], 7).keep();
    w.grad = oldGrad;
    const before = inUse();
    const { value, grads } = valueAndGrad((x) => sum(mul(mul(x, x), w)), [x]);
    expect(x.requiresGrad).toBe(false);
    expect(x.grad).toBeNull();
    expect(w.grad).toBe(oldGrad);
    expect(e.tape).toBeNull();
    expect(value.requiresGrad).toBe(false);
    expect(value.node).toBeNull();
    // d/dx Σ x²w = 2xw
    expectClose(await grads[0].read(), [8, 20, 36], RTOL, 0, 'dx');
    value.dispose();
    grads[0].dispose();
    expect(inUse()).toBe(before);
    for (const t of [x, w, oldGrad]) t.dispose();
  });

  it('gives each input its own gradient handle and zeros for an unused input', async () => {
    // add passes dy through to both inputs: one gradient tensor for two inputs.
    const x = e.fromArray([1, 2], [2]).keep();
    const y = e.fromArray([3, 4], [2]).keep();
    const unused = e.fromArray([0, 0, 0], [3]).keep();
    const {
      value,
      grads: [dx, dy, du],
    } = valueAndGrad((x, y) => sum(add(x, y)), [x, y, unused]);
    expect(dx).not.toBe(dy);
    dx.dispose();
    expect(Array.from(await dy.read())).toEqual([1, 1]);
    expect(Array.from(await du.read())).toEqual([0, 0, 0]);
    for (const t of [x, y, unused, value, dy, du]) t.dispose();
  });

  it('rejects a non-scalar output and still ends the tape and restores requiresGrad', () => {
    const x = e.fromArray([1, 2], [2]).keep();
    expect(() => valueAndGrad((x) => mul(x, x), [x])).toThrow(/scalar/);
    expect(e.tape).toBeNull();
    expect(x.requiresGrad).toBe(false);
    x.dispose();
  });
});

describe('detach', () => {
  it('stops the gradient: d/dx Σ x·detach(x) is x, not 2x', async () => {
    const xs = f32(uniform(7, 9));
    const x = e.fromArray(Float32Array.from(xs), [7]).keep();
    const {
      grads: [dx],
    } = valueAndGrad((x) => sum(mul(x, detach(x))), [x]);
    expectClose(await dx.read(), xs, RTOL, 0, 'dx');
    // Without detach the same function has gradient 2x, so the check above can fail.
    const {
      grads: [dx2],
    } = valueAndGrad((x) => sum(mul(x, x)), [x]);
    expectClose(
      await dx2.read(),
      xs.map((v) => 2 * v),
      RTOL,
      0,
      'dx without detach',
    );
    for (const t of [x, dx, dx2]) t.dispose();
  });

  it('shares the storage, is not recorded, and its disposal leaves x intact', async () => {
    const x = e.fromArray([1, 2, 3], [3], { requiresGrad: true }).keep();
    const tape = e.beginTape();
    let d: Tensor;
    try {
      d = detach(x);
      expect(d.buffer).toBe(x.buffer);
      expect(d.requiresGrad).toBe(false);
      expect(d.node).toBeNull();
      const y = mul(x, d as Tensor<'f32'>);
      tape.backward(sum(y));
      expect(tape.nodes.map((n) => n.op.name)).toEqual(['mul', 'sum']);
    } finally {
      e.endTape();
    }
    expect(Array.from(await x.grad!.read())).toEqual([1, 2, 3]);
    d.dispose();
    expect(Array.from(await x.read())).toEqual([1, 2, 3]);
    x.grad!.dispose();
    x.dispose();
  });
});
