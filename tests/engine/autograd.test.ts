import { beforeAll, describe, expect, it } from 'vitest';
import { Mlp } from '../../src/nn/mlp';
import { seededRandom } from '../../src/nn/init';
import { Adam } from '../../src/train/adam';
import type { Engine } from '../../src/tensor/engine';
import { add, mul, relu } from '../../src/tensor/ops/elementwise';
import { mse } from '../../src/tensor/ops/losses';
import { matmul } from '../../src/tensor/ops/matmul';
import { sum as reduceSum } from '../../src/tensor/ops/reduce';
import { testEngine } from '../helpers/engine';
import { expectClose } from '../helpers/opcheck';
import { uniform } from '../helpers/random';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

describe('tape', () => {
  it('accumulates the gradient of a tensor used twice', async () => {
    // f(x) = Σ (x·x + x) → df/dx = 2x + 1
    const xs = uniform(9, 1);
    const x = e.fromArray(Float32Array.from(xs), [9], { requiresGrad: true }).keep();
    const tape = e.beginTape();
    const grad = e.scope(() => {
      const f = reduceSum(add(mul(x, x), x));
      tape.backward(f);
      return x.grad!;
    });
    e.endTape();
    expectClose(
      await grad.read(),
      xs.map((v) => 2 * v + 1),
      1e-6,
      1e-6,
      'dx',
    );
    x.dispose();
  });

  it('backpropagates through a two-layer network like the chain rule says', async () => {
    // L = Σ relu(X·W1)·W2, checked against a hand-written f64 backward.
    const X = uniform(5 * 4, 2),
      W1 = uniform(4 * 3, 3),
      W2 = uniform(3 * 2, 4);
    const w1 = e.parameter(Float32Array.from(W1), [4, 3]);
    const w2 = e.parameter(Float32Array.from(W2), [3, 2]);
    const tape = e.beginTape();
    const [g1, g2] = e.scope(() => {
      const x = e.fromArray(Float32Array.from(X), [5, 4]);
      const L = reduceSum(matmul(relu(matmul(x, w1)), w2));
      tape.backward(L);
      return [w1.grad!, w2.grad!];
    });
    e.endTape();
    const H = new Float64Array(15);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) H[i * 3 + j] += X[i * 4 + k] * W1[k * 3 + j];
    const dW2 = new Float64Array(6),
      dW1 = new Float64Array(12);
    for (let i = 0; i < 5; i++)
      for (let j = 0; j < 3; j++) {
        const h = Math.max(0, H[i * 3 + j]);
        for (let c = 0; c < 2; c++) dW2[j * 2 + c] += h;
        if (H[i * 3 + j] > 0) for (let k = 0; k < 4; k++) dW1[k * 3 + j] += X[i * 4 + k] * (W2[j * 2] + W2[j * 2 + 1]);
      }
    expectClose(await g1.read(), dW1, 1e-5, 1e-5, 'dW1');
    expectClose(await g2.read(), dW2, 1e-5, 1e-5, 'dW2');
    for (const t of [w1, w2, g1, g2]) t.dispose();
  });

  it('scope frees intermediates and keeps what it returns', async () => {
    e.gpu.submit();
    const before = e.gpu.pool.getStats().inUseBytes;
    const kept = e.scope(() => {
      const a = e.full([1000], 2);
      const b = e.full([1000], 3);
      return add(mul(a, b), a);
    });
    e.gpu.submit();
    expect(await kept.item()).toBe(8);
    kept.dispose();
    e.gpu.submit();
    expect(e.gpu.pool.getStats().inUseBytes).toBe(before);
  });
});

describe('training step', () => {
  it('an MLP fits a smooth function with Adam: loss falls 10x, one submit per step', async () => {
    const rand = seededRandom(7);
    const mlp = new Mlp(e, { sizes: [2, 32, 32, 1], activation: 'relu' }, rand);
    const opt = new Adam(e, mlp.parameters(), { lr: 0.01 });
    const n = 256;
    const xs = uniform(n * 2, 11);
    const ys = Float32Array.from({ length: n }, (_, i) => Math.sin(2 * xs[2 * i]) + xs[2 * i + 1] ** 2);
    const x = e.fromArray(Float32Array.from(xs), [n, 2]).keep();
    const y = e.fromArray(ys, [n, 1]).keep();
    const losses: Tensor[] = [];
    for (let step = 0; step < 150; step++) {
      const loss = e.scope(() => {
        const tape = e.beginTape();
        const l = mse(mlp.forward(x), y);
        tape.backward(l);
        e.endTape();
        opt.update();
        return l;
      });
      if (step === 0 || step === 149) losses.push(loss.keep());
      else loss.dispose();
      e.gpu.submit();
    }
    const [first, last] = await Promise.all(losses.map((l) => l.item()));
    expect(last).toBeLessThan(first / 10);
    expect(e.gpu.takeErrors()).toEqual([]);
  });
});

type Tensor = import('../../src/tensor/tensor').Tensor;

describe('reshape', () => {
  it('passes gradients through; a bare view inside a tape is refused', async () => {
    const { reshape } = await import('../../src/tensor/ops/reshape');
    const xs = uniform(12, 4);
    const x = e.fromArray(Float32Array.from(xs), [3, 4], { requiresGrad: true }).keep();
    const tape = e.beginTape();
    try {
      expect(() => e.view(x, [12])).toThrow(/reshape/);
      const g = e.scope(() => {
        const w = e.fromArray(
          Float32Array.from({ length: 12 }, (_, i) => i),
          [12],
        );
        tape.backward(reduceSum(mul(reshape(x, [-1]), w)));
        return x.grad!;
      });
      expectClose(
        await g.read(),
        Array.from({ length: 12 }, (_, i) => i),
        0,
        0,
        'd/dx',
      );
    } finally {
      e.endTape();
    }
    x.dispose();
  });
});
