import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/tensor/engine';
import type { Tensor } from '../../src/tensor/tensor';
import { BROADCAST_OPS, COMPARE_OPS, div, eq, ge, gt, le, lt, maximum, minimum, ne, pow } from '../../src/tensor/ops/broadcast';
import { BINARY_OPS, add, mul, sub } from '../../src/tensor/ops/elementwise';
import { maskedFill, maskedFillOp, where, whereOp } from '../../src/tensor/ops/where';
import {
  broadcastBinaryRef,
  broadcastShape,
  collapse,
  broadcastStrides,
  sumToShapeRef,
  type BroadcastKind,
} from '../../src/tensor/reference/broadcast';
import { testEngine } from '../helpers/engine';
import { checkForward, checkGradient, expectClose, ref, type OpInput } from '../helpers/opcheck';
import { rng, uniform } from '../helpers/random';

// One f32 operation per element (add, sub, mul, div: ≤ 2.5 ulp ≈ 3e-7 relative); pow is
// exp2(b·log2 a) on the GPU, whose error grows with |b·log2 a| (≤ 4 here): 1e-5 covers both.
const FWD_RTOL = 1e-5;
// Gradients of broadcast operands are f32 sums of up to a few hundred terms (relative error
// ~√n·6e-8 ≲ 2e-6); the finite differences are f64. 1e-4 leaves room for pow's log and exp.
const GRAD_RTOL = 1e-4;

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Shape pairs: trailing alignment, size-1 axes on either side, rank 0, rank 6, equal shapes. */
const PAIRS: [number[], number[]][] = [
  [
    [7, 1, 5],
    [3, 1],
  ],
  [[1], [257]],
  [[257], [1]],
  [[], [7]],
  [[7, 3], []],
  [[], []],
  [[257], [257]],
  [
    [4, 1],
    [1, 6],
  ],
  [
    [1, 33, 1],
    [9, 1, 17],
  ],
  [
    [2, 3, 1, 4, 1, 3],
    [3, 1, 5, 1],
  ],
  [[70_001], [1]],
];

/** Operands per op: div keeps |b| ≥ 0.5; pow takes positive bases (negative ones: below). */
function operands(kind: string, sa: number[], sb: number[], seed: number): OpInput[] {
  const r = rng(seed);
  const a = Float64Array.from({ length: size(sa) }, () => (kind === 'pow' ? 0.2 + 2.8 * r() : 4 * r() - 2));
  const b = Float64Array.from({ length: size(sb) }, () => {
    if (kind === 'div') return (r() < 0.5 ? -1 : 1) * (0.5 + 1.5 * r());
    return 4 * r() - 2;
  });
  return [ref(a, sa), ref(b, sb)];
}

describe('broadcast shapes', () => {
  it('follows NumPy: right-aligned, size 1 stretches, mismatches throw', () => {
    expect(broadcastShape([7, 1, 5], [3, 1])).toEqual([7, 3, 5]);
    expect(broadcastShape([], [4, 2])).toEqual([4, 2]);
    expect(broadcastShape([1], [0])).toEqual([0]);
    expect(() => broadcastShape([2, 3], [4, 3])).toThrow(/do not broadcast/);
  });

  it('collapses axes to the fewest the strides allow', () => {
    const out = [2, 3, 4];
    // b = [3, 4] walks the last two axes contiguously: they merge into one of 12.
    const c = collapse(out, [broadcastStrides(out, out), broadcastStrides([3, 4], out)]);
    expect(c.shape).toEqual([2, 12]);
    expect(c.strides).toEqual([
      [12, 1],
      [0, 1],
    ]);
  });

  it('the same-shape ops throw on a mismatch, the user functions broadcast', async () => {
    const a = e.fromArray([1, 2, 3], [3, 1]);
    const b = e.fromArray([10, 20], [2]);
    expect(() => e.apply(BINARY_OPS.add, [a, b], {})).toThrow(/differ/);
    expect(Array.from(await add(a, b).read())).toEqual([11, 21, 12, 22, 13, 23]);
    expect(() => mul(a, e.fromArray([1, 2], [2, 1]))).toThrow(/do not broadcast/);
  });
});

describe('broadcasting binary ops: forward vs f64 reference', () => {
  for (const [kind, op] of Object.entries(BROADCAST_OPS)) {
    for (const [sa, sb] of PAIRS) {
      it(`${kind} [${sa}] ∘ [${sb}]`, async () => {
        await checkForward(e, op, operands(kind, sa, sb, size(sa) + 3 * size(sb)), {}, FWD_RTOL, 1e-6);
      });
    }
  }

  it('pow of a negative base with integer exponents keeps the sign (torch); fractional → NaN', async () => {
    const a = e.fromArray([-2, -2, -1.5, -3, 0, 0, 2], [7]);
    const b = e.fromArray([2, 3, -1, 0, 2, -1, 0.5], [7]);
    const got = Array.from(await pow(a, b).read());
    const expected = [4, -8, -1 / 1.5, 1, 0, Infinity, Math.SQRT2];
    expectClose(
      got.filter((_, i) => i !== 5),
      expected.filter((_, i) => i !== 5),
      1e-6,
      0,
      'pow',
    );
    expect(got[5]).toBe(Infinity);
    expect(Number.isNaN((await pow(e.fromArray([-2], [1]), 0.5).read())[0])).toBe(true);
  });

  it('equal shapes: add / sub / mul take the same-shape op and the broadcast kernel agrees bit for bit', async () => {
    const x = e.fromArray(Float32Array.from(uniform(257, 1, -3, 3)), [257], { requiresGrad: true }).keep();
    const y = e.fromArray(Float32Array.from(uniform(257, 2, -3, 3)), [257], { requiresGrad: true }).keep();
    e.beginTape();
    try {
      for (const [fn, name] of [
        [add, 'add'],
        [sub, 'sub'],
        [mul, 'mul'],
      ] as const) {
        const z = fn(x, y);
        expect(z.node?.op.name).toBe(name);
        const viaBroadcast = e.apply(BROADCAST_OPS[name], [x, y], {});
        expect(Array.from(await viaBroadcast.read())).toEqual(Array.from(await z.read()));
      }
    } finally {
      e.endTape();
    }
    x.dispose();
    y.dispose();
  });
});

describe('comparisons', () => {
  // Small integers so that ties (the cases where eq/le/ge differ from lt/gt) are common.
  const ints = (n: number, seed: number) => {
    const r = rng(seed);
    return Float64Array.from({ length: n }, () => Math.floor(r() * 4) - 2);
  };
  for (const [kind, op] of Object.entries(COMPARE_OPS)) {
    for (const [sa, sb] of [
      [
        [7, 1, 5],
        [3, 1],
      ],
      [[], [257]],
      [[33], [33]],
    ] as [number[], number[]][]) {
      it(`${kind} [${sa}] vs [${sb}] gives exact 0/1`, async () => {
        await checkForward(e, op, [ref(ints(size(sa), 5), sa), ref(ints(size(sb), 6), sb)], {}, 0, 0);
      });
    }
  }

  it('a number on either side: scalar forms agree with the broadcast reference', async () => {
    const xs = [-2, -1, 0, 1, 1, 2, 3];
    const x = e.fromArray(xs, [7]);
    const cases: [BroadcastKind, (a: Tensor<'f32'> | number, b: Tensor<'f32'> | number) => Tensor<'f32'>][] = [
      ['eq', eq],
      ['ne', ne],
      ['lt', lt],
      ['le', le],
      ['gt', gt],
      ['ge', ge],
    ];
    const X = { data: Float64Array.from(xs), shape: [7] };
    const S = { data: Float64Array.of(1), shape: [] };
    for (const [kind, fn] of cases) {
      expect(Array.from(await fn(x, 1).read()), `${kind}(x, 1)`).toEqual(Array.from(broadcastBinaryRef(kind, X, S).data));
      expect(Array.from(await fn(1, x).read()), `${kind}(1, x)`).toEqual(Array.from(broadcastBinaryRef(kind, S, X).data));
    }
  });

  it('are not recorded on the tape (no gradient)', () => {
    const x = e.fromArray([1, 2], [2], { requiresGrad: true }).keep();
    e.beginTape();
    try {
      const c = lt(x, x);
      expect(c.requiresGrad).toBe(false);
      expect(c.node).toBeNull();
    } finally {
      e.endTape();
    }
    x.dispose();
  });
});

describe('scalar operands of add, sub, mul, div, pow, maximum, minimum', () => {
  it('match the broadcast reference with the number as a rank-0 tensor, on both sides', async () => {
    const xs = uniform(257, 7, 0.25, 3);
    const x = e.fromArray(Float32Array.from(xs), [257]);
    const X = { data: xs, shape: [257] };
    const fns = { add, sub, mul, div, pow, maximum, minimum } as const;
    for (const [kind, fn] of Object.entries(fns) as [
      BroadcastKind,
      (a: Tensor<'f32'> | number, b: Tensor<'f32'> | number) => Tensor<'f32'>,
    ][]) {
      for (const s of [1.5, -0.75]) {
        const S = { data: Float64Array.of(s), shape: [] };
        // rpow with a negative base is NaN for fractional x (also in the reference): skip it.
        expectClose(await fn(x, s).read(), broadcastBinaryRef(kind, X, S).data, FWD_RTOL, 1e-6, `${kind}(x, ${s})`);
        if (!(kind === 'pow' && s < 0)) {
          expectClose(await fn(s, x).read(), broadcastBinaryRef(kind, S, X).data, FWD_RTOL, 1e-6, `${kind}(${s}, x)`);
        }
      }
    }
  });
});

describe('broadcasting binary ops: backward vs finite differences', () => {
  const GRAD_PAIRS: [number[], number[]][] = [
    [
      [7, 1, 5],
      [3, 1],
    ],
    [[1], [257]],
    [[], [7, 3]],
    [
      [4, 1],
      [1, 6],
    ],
    [
      [2, 3, 1, 2, 1, 3],
      [3, 1, 5, 1],
    ],
    [
      [9, 5],
      [9, 5],
    ],
  ];
  for (const [kind, op] of Object.entries(BROADCAST_OPS)) {
    for (const [sa, sb] of GRAD_PAIRS) {
      it(`${kind} [${sa}] ∘ [${sb}]`, async () => {
        await checkGradient(e, op, operands(kind, sa, sb, 11 + size(sa)), {}, GRAD_RTOL, 1e-5);
      });
    }
  }

  it('maximum / minimum split the gradient equally at ties (torch), which central differences see as 1/2', async () => {
    const r = rng(21);
    const ints = (n: number) => Float64Array.from({ length: n }, () => Math.floor(r() * 3));
    for (const op of [BROADCAST_OPS.maximum, BROADCAST_OPS.minimum]) {
      await checkGradient(e, op, [ref(ints(35), [7, 1, 5]), ref(ints(3), [3, 1])], {}, 1e-6, 1e-6);
    }
  });

  it('the gradient of a broadcast operand is the sum over its broadcast axes (f64 reference)', () => {
    const g = { data: Float64Array.from({ length: 105 }, (_, i) => i), shape: [7, 3, 5] };
    const s = sumToShapeRef(g, [3, 1]);
    let expected0 = 0;
    for (let i = 0; i < 7; i++) for (let k = 0; k < 5; k++) expected0 += i * 15 + k;
    expect(s.data[0]).toBe(expected0);
  });
});

describe('where and maskedFill', () => {
  // where only selects, so results are exact: inputs are f32 values for the f64 reference too.
  const f32 = (n: number, seed: number) => uniform(n, seed).map(Math.fround);
  const conds = (n: number, seed: number) => {
    const r = rng(seed);
    return Float64Array.from({ length: n }, () => +(r() < 0.5));
  };
  const SHAPES: [number[], number[], number[]][] = [
    [[7, 1, 5], [3, 1], [1]],
    [[257], [1], [257]],
    [[], [7], [7]],
    [[1, 6], [4, 1], []],
  ];
  for (const [sc, sa, sb] of SHAPES) {
    for (const dtype of ['f32', 'i32'] as const) {
      it(`where cond [${sc}] (${dtype}), a [${sa}], b [${sb}]: forward and backward`, async () => {
        const inputs = [ref(conds(size(sc), 3), sc, dtype), ref(f32(size(sa), 4), sa), ref(f32(size(sb), 5), sb)];
        await checkForward(e, whereOp, inputs, {}, 0, 0);
        await checkGradient(e, whereOp, inputs, {}, 1e-6, 1e-6);
      });
    }
  }

  it('where takes u32 conditions, and treats an f32 -0 as false', async () => {
    const a = e.fromArray([1, 2, 3, 4], [4]);
    const b = e.fromArray([-1, -2, -3, -4], [4]);
    const cu = e.fromArray([0, 7, 0, 1], [4], { dtype: 'u32' });
    expect(Array.from(await where(cu, a, b).read())).toEqual([-1, 2, -3, 4]);
    const cf = e.fromArray(Float32Array.of(-0, 0.5, Number.NaN, 0), [4]);
    expect(Array.from(await where(cf, a, b).read())).toEqual([-1, 2, 3, -4]);
  });

  for (const [sx, sm] of [
    [
      [7, 3, 5],
      [3, 1],
    ],
    [[257], []],
    [
      [1, 9],
      [1, 9],
    ],
  ] as [number[], number[]][]) {
    it(`maskedFill x [${sx}], mask [${sm}]: forward and backward`, async () => {
      const inputs = [ref(f32(size(sx), 8), sx), ref(conds(size(sm), 9), sm, 'i32')];
      await checkForward(e, maskedFillOp, inputs, { value: 2.5 }, 0, 0);
      await checkGradient(e, maskedFillOp, inputs, { value: 2.5 }, 1e-6, 1e-6);
    });
  }

  it('maskedFill writes -Infinity (attention masks) and rejects a mask larger than x', async () => {
    const x = e.fromArray([1, 2, 3], [3]);
    const m = e.fromArray([1, 0, 1], [3], { dtype: 'i32' });
    expect(Array.from(await maskedFill(x, m, -Infinity).read())).toEqual([-Infinity, 2, -Infinity]);
    expect(() => maskedFill(x, e.fromArray([1, 0, 1, 0, 1, 0], [2, 3], { dtype: 'i32' }), 0)).toThrow(/does not broadcast/);
    expect(e.gpu.takeErrors()).toEqual([]);
  });
});
