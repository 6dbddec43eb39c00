// Upstream SPANet's dropout (options `dropout`) on the engine's hashed dropout op: eval mode and
// dropout 0 unchanged against the ttH_small torch fixture, the fraction dropped and the scaling
// 1/(1 − p) at the linear blocks' dropout sites, and the network's gradient with fixed masks
// against finite differences.
import { beforeAll, describe, expect, it } from 'vitest';
import { MultiheadAttention } from '../../src/nn/layers/attention';
import { Dropout } from '../../src/nn/layers/dropout';
import { BasicBlock, ResNetBlock } from '../../src/nn/spanetUpstream/linearBlocks';
import { LinearActivation } from '../../src/nn/spanetUpstream/gruBlock';
import { defaultOptions } from '../../src/tasks/spanet/options';
import { valueAndGrad } from '../../src/tensor/autodiff';
import type { Engine } from '../../src/tensor/engine';
import type { Tensor } from '../../src/tensor/tensor';
import { testEngine } from '../helpers/engine';
import { rng } from '../helpers/random';
import {
  buildNet,
  expectScaledClose,
  f32,
  loadFixture,
  namedOutputs,
  rewindDropout,
  sourcesOf,
  weightedLoss,
} from './upstreamDropoutFixtures';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

const small = loadFixture('ttH_small');
const outputNames = Object.keys(small.io).filter((k) => /^(assignment|detection|regression|classification)\./.test(k));

async function expectSmallOutputs(dropout: number, train: boolean) {
  const net = buildNet(e, { ...small.options, dropout }, small.state);
  if (train) net.train();
  else net.eval();
  const o = namedOutputs(net.forward(sourcesOf(e, small)));
  // In train mode only the assignments keep eval's function: the heads' BatchNorm1d (output_norm)
  // normalises with the batch. (The whole train step at dropout 0 is upstreamTrain.test.ts's ttH_train.)
  const names = outputNames.filter((k) => !train || k.startsWith('assignment.'));
  // the eval fixtures' bound (upstreamNetwork.test.ts): 2e-5 scaled
  for (const k of names) expectScaledClose(await o[k].read(), f32(small, k), 2e-5, k);
  const modules = [...net.namedModules()].map(([, m]) => m);
  const sites = modules.filter((m) => m instanceof Dropout && m.p > 0).length;
  const attention = modules.filter((m) => m instanceof MultiheadAttention);
  expect(attention.length).toBeGreaterThan(0);
  expect(attention.every((m) => (m as MultiheadAttention).dropout === dropout)).toBe(true);
  net.dispose();
  return sites;
}

describe('upstream network with dropout: unchanged where upstream is unchanged (fixture ttH_small)', () => {
  it("eval mode with dropout 0.3 gives upstream's outputs (nn.Dropout holds no state: the state loads strictly)", async () => {
    // the dropout sites exist (GRU blocks: two each) but eval mode skips them
    expect(await expectSmallOutputs(0.3, false)).toBeGreaterThan(20);
  }, 120_000);

  it("train mode with dropout 0 builds no dropout and gives upstream's assignment outputs", async () => {
    expect(await expectSmallOutputs(0, true)).toBe(0);
  }, 120_000);
});

describe('dropout at the linear blocks in train mode: fraction dropped and scaling', () => {
  const p = 0.3;
  const [T, B, I, O] = [37, 9, 16, 64];
  const N = T * B * O;
  const options = { ...defaultOptions(), dropout: p, masking: 'None', transformer_dim_scale: 4 };
  const x = () =>
    e.fromArray(
      Float32Array.from({ length: T * B * I }, rng(5)).map((v) => 2 * v - 1),
      [T, B, I],
    );
  const ones = () => e.full([T, B, 1], 1);

  // Each element of a train-mode output is 0 or the eval output · 1/(1 − p), zeroed with
  // probability p independently: over N = 21,312 elements the zero fraction has σ = √(p(1−p)/N)
  // = 0.0031; |fraction − p| < 5σ fails with probability < 1e-6 (and the seeds are fixed). Two
  // forwards draw independent masks: both zero with probability p², σ = √(p²(1−p²)/N) = 0.0020.
  it.each([
    ['BasicBlock (after the norm)', (r: () => number) => new BasicBlock(e, options, I, O, true, r)],
    ['ResNetBlock (block_2, after the activation)', (r: () => number) => new ResNetBlock(e, options, I, O, true, r)],
    ['GRU linear_1 (Linear · act · dropout)', (r: () => number) => new LinearActivation(e, I, O, 'gelu', r, p)],
  ])('%s', async (_, make) => {
    const block = make(rng(9));
    const run = async (train: boolean) => {
      if (train) block.train();
      else block.eval();
      const y = e.scope(() => (block as unknown as { forward(x: Tensor<'f32'>, m: Tensor<'f32'>): Tensor<'f32'> }).forward(x(), ones()));
      const v = await y.read();
      y.dispose();
      return v;
    };
    const ref = await run(false);
    const [a, b] = [await run(true), await run(true)];
    const scale = 1 / (1 - p);
    let zeros = 0,
      both = 0,
      counted = 0;
    for (let i = 0; i < N; i++) {
      if (ref[i] === 0) continue;
      counted++;
      if (a[i] === 0) zeros++;
      else expect(Math.abs(a[i] / ref[i] - scale), `element ${i}`).toBeLessThan(1e-6);
      if (a[i] === 0 && b[i] === 0) both++;
    }
    expect(counted).toBeGreaterThan(N - 10);
    expect(Math.abs(zeros / counted - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));
    expect(Math.abs(both / counted - p * p)).toBeLessThan(5 * Math.sqrt((p * p * (1 - p * p)) / N));
    block.dispose();
  });
});

describe('upstream network in train mode with dropout 0.2: gradient with fixed masks', () => {
  it('equals central finite differences (masks fixed by rewinding every dropout counter)', async () => {
    const fx = loadFixture('train_options/dropout_gru');
    const net = buildNet(e, fx.options, fx.state);
    net.train();
    const L = () => {
      expect(rewindDropout(net)).toBeGreaterThan(0);
      return weightedLoss(e, namedOutputs(net.forward(sourcesOf(e, fx))), (n) => f32(fx, n));
    };
    const params = net.namedParameters();
    const { value, grads } = valueAndGrad(
      L,
      params.map(([, t]) => t),
    );
    const L0 = (await value.read())[0];
    const read = async () => {
      const r = e.scope(L);
      const v = (await r.read())[0];
      r.dispose();
      return v;
    };
    // the same masks again: the same loss, bit for bit; without the rewind the masks move on
    expect(await read()).toBe(L0);
    const moved = e.scope(() => weightedLoss(e, namedOutputs(net.forward(sourcesOf(e, fx))), (n) => f32(fx, n)));
    expect((await moved.read())[0]).not.toBe(L0);
    moved.dispose();
    const probes: [string, number][] = [
      ['embedding.final_embedding_layer.gru.gate_bias', 0],
      ['encoder.encoder.layers.0.feed_forward.linear_1.0.weight', 3],
    ];
    for (const [name, i] of probes) {
      const k = params.findIndex(([n]) => n === name);
      const t = params[k][1];
      const v = await t.read();
      const at = async (h: number) => {
        v[i] += h;
        e.gpu.write(t.buffer, v);
        const y = await read();
        v[i] -= h;
        e.gpu.write(t.buffer, v);
        return y;
      };
      // Central differences in f32: h = 1e-2 keeps rounding (≈ 1e-7·|L|/h ≈ 1e-4) and the h² term small.
      const h = 1e-2;
      const fd = ((await at(h)) - (await at(-h))) / (2 * h);
      const an = (await grads[k].read())[i];
      expect(Math.abs(fd - an), `${name}[${i}]: fd ${fd}, gradient ${an}`).toBeLessThanOrEqual(2e-2 * Math.max(Math.abs(an), 0.1));
    }
    net.dispose();
  }, 120_000);
});
