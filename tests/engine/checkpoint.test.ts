import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/nn/init';
import { CosmicUResNet, ResidualBlock, SMALL_URESNET, type CosmicNetworkConfig } from '../../src/nn/cosmicUResNet';
import { Dropout } from '../../src/nn/layers/dropout';
import type { Module } from '../../src/nn/module';
import { checkpoint, replayable } from '../../src/tensor/checkpoint';
import type { Engine } from '../../src/tensor/engine';
import { batchNorm } from '../../src/tensor/ops/batchnorm';
import { conv2d } from '../../src/tensor/ops/conv2d';
import { add, mul } from '../../src/tensor/ops/elementwise';
import { sum } from '../../src/tensor/ops/reduce';
import { leakyRelu } from '../../src/tensor/ops/unary';
import { batchNormRef } from '../../src/tensor/reference/batchnorm';
import { conv2dRef } from '../../src/tensor/reference/conv2d';
import type { RefTensor } from '../../src/tensor/registry';
import type { Tensor } from '../../src/tensor/tensor';
import { testEngine } from '../helpers/engine';
import { expectClose } from '../helpers/opcheck';
import { uniform } from '../helpers/random';

type T = Tensor<'f32'>;
let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

const CFG: CosmicNetworkConfig = { ...SMALL_URESNET };

interface Step {
  loss: number;
  dx: Float32Array | null;
  params: Float32Array[];
  buffers: (Float32Array | Int32Array)[];
}

/** One recorded step L = Σ fn(x)·R; the gradients of x and of every parameter, and the module's buffers after it. */
async function step(m: Module, fn: (x: T) => T, X: Float32Array, shape: number[], R: Float32Array | null = null): Promise<Step> {
  const x = e.fromArray(X, shape, { requiresGrad: true }).keep();
  const params = m.parameters();
  for (const p of params) p.grad = null;
  let lossT: T | null = null;
  let dxT: T | null = null;
  e.scope(() => {
    const tape = e.beginTape();
    try {
      const y = fn(x);
      const r = e.fromArray(R ?? Float32Array.from(uniform(y.size, 7)), y.shape);
      lossT = sum(mul(y, r)).keep();
      dxT = (tape.backward(lossT).get(x) ?? null)?.keep() ?? null;
      for (const p of params) p.grad?.keep();
    } finally {
      e.endTape();
    }
  });
  const out: Step = {
    loss: await lossT!.item(),
    dx: dxT ? await (dxT as T).read() : null,
    params: await Promise.all(params.map((p) => p.grad!.read())),
    buffers: await Promise.all(m.namedBuffers().map(([, b]) => b.tensor.read() as Promise<Float32Array | Int32Array>)),
  };
  for (const p of params) {
    p.grad?.dispose();
    p.grad = null;
  }
  for (const t of [x, lossT, dxT]) (t as T | null)?.dispose();
  expect(e.gpu.takeErrors(), 'GPU validation errors').toEqual([]);
  return out;
}

/**
 * Checkpointed and plain steps run the same kernels on the same values; only the order in
 * which f32 gradient contributions are summed may differ (a tensor read by two stages gets
 * its two contributions added in the other order). 1e-5 of the largest gradient bounds that.
 */
function expectSameStep(a: Step, b: Step, what: string): void {
  // One scale for all: a conv bias before batch norm has a true gradient of 0, so its own
  // largest value is round-off and cannot set the tolerance.
  const scale = Math.max(1e-6, ...[b.dx ?? [], ...b.params].flatMap((g) => Array.from(g, Math.abs)));
  const close = (x: ArrayLike<number>, y: ArrayLike<number>, w: string) => expectClose(x, y, 0, 1e-5 * scale, `${what}: ${w}`);
  expectClose([a.loss], [b.loss], 1e-6, 0, `${what}: loss`);
  if (b.dx) close(a.dx!, b.dx, 'd/dx');
  a.params.forEach((g, i) => close(g, b.params[i], `d/d parameter ${i}`));
  // Running statistics: the checkpoint's re-run must not update them a second time.
  a.buffers.forEach((v, i) => expect(Array.from(v), `${what}: buffer ${i}`).toEqual(Array.from(b.buffers[i])));
}

describe('checkpoint', () => {
  it('a checkpointed residual block (conv, train-mode batch norm, leaky ReLU) gives the plain gradients and running statistics', async () => {
    const shape = [2, 8, 9, 7];
    const X = Float32Array.from(uniform(2 * 8 * 9 * 7, 3));
    const plain = new ResidualBlock(e, seededRandom(5), CFG, 8, 3, 1);
    const ck = new ResidualBlock(e, seededRandom(5), CFG, 8, 3, 1);
    const a = await step(ck, (x) => checkpoint((v) => ck.forward(v), [x]), X, shape);
    const b = await step(plain, (x) => plain.forward(x), X, shape);
    expectSameStep(a, b, 'residual block');
    // num_batches_tracked is the last buffer of each batch norm: one forward, one update.
    expect(Array.from(a.buffers[2])).toEqual([1]);
    plain.dispose();
    ck.dispose();
  });

  it('the small cosmic U-ResNet with checkpointing equals it without (gradients, running statistics, logits)', async () => {
    const shape = [1, 3, 16, 20];
    const X = Float32Array.from(uniform(3 * 16 * 20, 11, 0, 2));
    const plain = new CosmicUResNet(e, { ...CFG }, seededRandom(2));
    const ck = new CosmicUResNet(e, { ...CFG, checkpoint: true }, seededRandom(2));
    const a = await step(ck, (x) => ck.forward(x), X, shape);
    const b = await step(plain, (x) => plain.forward(x), X, shape);
    expectSameStep(a, b, 'small U-ResNet');
    expect(a.params.length).toBe(plain.parameters().length);
    plain.dispose();
    ck.dispose();
  });

  it('matches finite differences of the f64 composition (conv → batch norm → leaky ReLU, input, weight and captured γ)', async () => {
    // f(x, w) = Σ leaky(BN_train(conv(x, w)))·R, with γ read from the closure (not an explicit input).
    const xs = { data: uniform(2 * 3 * 5 * 6, 21), shape: [2, 3, 5, 6] };
    const ws = { data: uniform(4 * 3 * 3 * 3, 22, -0.5, 0.5), shape: [4, 3, 3, 3] };
    const gs = { data: uniform(4, 23, 0.5, 1.5), shape: [4] };
    const R = uniform(2 * 4 * 5 * 6, 24);
    const geo = { stride: 1, pad: 1 };
    const ref = (x: RefTensor, w: RefTensor, g: RefTensor): number => {
      const c = conv2dRef(x, w, null, geo);
      const zero = { data: new Float64Array(4), shape: [4] };
      const one = { data: new Float64Array(4).fill(1), shape: [4] };
      const y = batchNormRef(c, g, zero, zero, one, 1e-5, true).data;
      let s = 0;
      for (let i = 0; i < y.length; i++) s += (y[i] > 0 ? y[i] : 0.01 * y[i]) * R[i];
      return s;
    };
    const f32 = (r: RefTensor) => Float32Array.from(r.data);
    const x = e.fromArray(f32(xs), xs.shape, { requiresGrad: true }).keep();
    const w = e.fromArray(f32(ws), ws.shape, { requiresGrad: true }).keep();
    const gamma = e.fromArray(f32(gs), gs.shape, { requiresGrad: true }).keep();
    const state = {
      runningMean: e.zeros([4]).keep(),
      runningVar: e.full([4], 1).keep(),
      numBatchesTracked: e.fromArray([0], [], { dtype: 'i32' }).keep(),
    };
    const beta = e.zeros([4]).keep();
    const grads = e.scope(() => {
      const tape = e.beginTape();
      try {
        const y = checkpoint(
          (a, b) => leakyRelu(batchNorm(conv2d(a, b, undefined, geo), gamma, beta, state, { training: true }), 0.01),
          [x, w],
        );
        const g = tape.backward(sum(mul(y, e.fromArray(Float32Array.from(R), y.shape))));
        return [g.get(x)!, g.get(w)!, g.get(gamma)!];
      } finally {
        e.endTape();
      }
    });
    const got = await Promise.all(grads.map((g) => g.read()));
    const inputs = [xs, ws, gs];
    inputs.forEach((inp, k) => {
      const fd: number[] = [];
      const gpu: number[] = [];
      for (let i = 0; i < inp.data.length; i += Math.max(1, Math.floor(inp.data.length / 24))) {
        const probe = inputs.map((t) => ({ data: Float64Array.from(t.data), shape: t.shape }));
        const h = 1e-6;
        probe[k].data[i] += h;
        const up = ref(probe[0], probe[1], probe[2]);
        probe[k].data[i] -= 2 * h;
        const down = ref(probe[0], probe[1], probe[2]);
        fd.push((up - down) / (2 * h));
        gpu.push(got[k][i]);
      }
      // f32 conv and batch-norm sums of ≤ 60 terms against f64 central differences (h = 1e-6):
      // 1e-3 of the largest gradient is above f32 round-off and far below a wrong formula.
      expectClose(gpu, fd, 1e-3, 1e-3 * Math.max(...fd.map(Math.abs)), `d/d input ${k}`);
    });
    // One update of the running statistics: the first run's; the re-run in backward skips it.
    expect(Array.from(await state.numBatchesTracked.read())).toEqual([1]);
    for (const t of [x, w, gamma, beta, state.runningMean, state.runningVar, state.numBatchesTracked, ...grads]) t.dispose();
  });

  it('replays dropout masks: the same gradients as the plain tape, and the module steps once per forward', async () => {
    const drop = new Dropout(e, 0.5, 9);
    const fn = (x: T) => leakyRelu(drop.forward(mul(x, x)), 0.1);
    const X = Float32Array.from(uniform(257, 4));
    const R = Float32Array.from(uniform(257, 5));
    drop.step = 3;
    const a = await step(drop, (x) => checkpoint(fn, [x]), X, [257], R);
    expect(drop.step).toBe(4);
    drop.step = 3;
    const b = await step(drop, fn, X, [257], R);
    expect(Array.from(a.dx!)).toEqual(Array.from(b.dx!));
    // and a re-run that draws more than the first run is refused
    const x = e.fromArray(X, [257], { requiresGrad: true }).keep();
    let calls = 0;
    expect(() =>
      e.scope(() => {
        const tape = e.beginTape();
        try {
          const y = checkpoint(
            (v) => {
              for (let i = 0; i <= calls; i++) replayable(e, () => i);
              calls++;
              return mul(v, v);
            },
            [x],
          );
          tape.backward(sum(y));
        } finally {
          e.endTape();
        }
      }),
    ).toThrow(/drew more values/);
    x.dispose();
  });

  it('nested checkpoints over a chain of blocks keep less memory (pool peak) for the same gradients', async () => {
    const blocks = Array.from(
      { length: 6 },
      (_, i) => new ResidualBlock(e, seededRandom(30 + i), { ...CFG, normalization: 'none' }, 8, 3, 1),
    );
    const X = Float32Array.from(uniform(8 * 64 * 64, 8));
    const chain = (x: T) => blocks.reduce((v, b) => b.forward(v), x);
    // halves, then blocks: the re-run of a half keeps its block boundaries only
    const nested = (x: T) =>
      checkpoint(
        (v) => blocks.slice(3).reduce((u, b) => checkpoint((z) => b.forward(z), [u]), v),
        [checkpoint((v) => blocks.slice(0, 3).reduce((u, b) => checkpoint((z) => b.forward(z), [u]), v), [x])],
      );
    const peak = async (fn: (x: T) => T) => {
      const x = e.fromArray(X, [1, 8, 64, 64], { requiresGrad: true }).keep();
      const r = e.fromArray(Float32Array.from(uniform(x.size, 9)), x.shape).keep();
      e.gpu.submit();
      e.gpu.pool.resetPeak();
      const base = e.gpu.pool.getStats().inUseBytes;
      const dx = e.scope(() => {
        const tape = e.beginTape();
        try {
          return tape.backward(sum(mul(fn(x), r))).get(x)!;
        } finally {
          e.endTape();
        }
      });
      const bytes = e.gpu.pool.getStats().peakInUseBytes - base;
      const g = await dx.read();
      for (const t of [x, r, dx]) t.dispose();
      for (const b of blocks)
        for (const p of b.parameters()) {
          p.grad?.dispose();
          p.grad = null;
        }
      return { bytes, g };
    };
    const plain = await peak(chain);
    const ck = await peak(nested);
    const unit = 8 * 64 * 64 * 4;
    // plain keeps 5 activations per block (30 units) through backward; the nested chain about
    // 4 boundaries + one block's 5 + a few gradients.
    expect(plain.bytes).toBeGreaterThan(30 * unit);
    expect(ck.bytes).toBeLessThan(0.5 * plain.bytes);
    const scale = Math.max(...Array.from(plain.g, Math.abs));
    expectClose(ck.g, plain.g, 0, 1e-5 * scale, 'd/dx of the chain');
    for (const b of blocks) b.dispose();
  });

  it('runs fn in a scope of its own without a tape, and leaves an input returned unchanged usable', async () => {
    const x = e.fromArray([1, -2, 3], [3], { requiresGrad: true }).keep();
    const before = e.gpu.pool.getStats().inUseBytes;
    const y = e.scope(() => checkpoint((v) => add(leakyRelu(v, 0.5), v), [x]).keep());
    expect(Array.from(await y.read())).toEqual([2, -3, 6]);
    // only y is left: leakyRelu's output was freed with the checkpoint's scope
    expect(e.gpu.pool.getStats().inUseBytes - before).toBe(256);
    const g = e.scope(() => {
      const tape = e.beginTape();
      try {
        const z = checkpoint((v) => v, [x]);
        return tape.backward(sum(mul(z, z))).get(x)!;
      } finally {
        e.endTape();
      }
    });
    expect(Array.from(await g.read())).toEqual([2, -4, 6]);
    for (const t of [x, y, g]) t.dispose();
  });

  it('refuses a second backward on the same tape (its saved tensors are freed)', () => {
    const x = e.fromArray([1, 2], [2], { requiresGrad: true }).keep();
    e.scope(() => {
      const tape = e.beginTape();
      try {
        const l = sum(mul(x, x));
        tape.backward(l);
        expect(() => tape.backward(l)).toThrow(/backward already ran/);
      } finally {
        e.endTape();
      }
    });
    x.grad?.dispose();
    x.dispose();
  });
});
