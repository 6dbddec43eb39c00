// The torch-compatible Modules against torch 1.13 itself: fixtures written by
// tools/torch_fixtures/make_conv_fixtures.py (see tests/fixtures/torch/README.md) are loaded
// with loadStateDict(strict) and the outputs, input and parameter gradients of
// L = Σ output·R, and the updated running statistics, are compared.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeStateDict } from '../../src/export/safetensors';
import { seededRandom } from '../../src/nn/init';
import { BatchNorm2d, Conv2d, ConvTranspose2d, LeakyReLU, ReLU, Upsample } from '../../src/nn/layers';
import { Linear } from '../../src/nn/linear';
import { Sequential, type Module } from '../../src/nn/module';
import { entryToFloat32, type StateDict } from '../../src/nn/stateDict';
import type { Engine } from '../../src/tensor/engine';
import type { Tensor } from '../../src/tensor/tensor';
import { testEngine } from '../helpers/engine';
import { expectClose } from '../helpers/opcheck';

const decode = (name: string) => decodeStateDict(new Uint8Array(readFileSync(`tests/fixtures/torch/${name}.safetensors`)), name);
const load = (name: string): StateDict => decode(name).state;
/** torch's state_dict() key order, kept by the script in the metadata. */
const torchOrder = (name: string): string[] => JSON.parse(decode(name).metadata.order);

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/**
 * f32 against f32 with another summation order: both sides round ~6e-8 per operation, growing
 * with the ≤ 100-term sums of the convolutions and the cancellation in batch norm's train-mode
 * input gradient (dy - mean(dy) - x̂·mean(dy·x̂)). Observed: ≤ 6e-7 of the largest magnitude.
 * 1e-5 relative plus 1e-5 of max(1, largest magnitude) leaves a factor ~15 and is far below
 * any semantic difference (biased vs unbiased variance moves outputs by ~1 / (2·N·H·W) ≈ 7e-3
 * relative; a wrong bilinear tap by O(1)). Where the exact value is 0 (the conv bias gradient
 * in front of train-mode batch norm, removed by the batch mean) both sides are rounding noise
 * of ~1e-8, inside the absolute floor.
 */
function compare(got: ArrayLike<number>, entry: StateDict[string], what: string, rtol = 1e-5, atolRel = 1e-5): void {
  const want = entryToFloat32(entry);
  expectClose(got, want, rtol, atolRel * Math.max(1, maxAbs(want)), what);
}

/** Output and gradients of Σ model(x)·R as read back from the GPU. */
async function run(
  model: Module & { forward(x: Tensor<'f32'>): Tensor<'f32'> },
  io: StateDict,
): Promise<{ output: Float32Array; grads: Map<string, Float32Array> }> {
  const x = e.fromArray(entryToFloat32(io.input), io.input.shape, { requiresGrad: true });
  const tape = e.beginTape();
  try {
    const y = model.forward(x);
    expect(y.shape).toEqual(io.output.shape);
    const g = tape.backward(y, e.fromArray(entryToFloat32(io.upstream), y.shape));
    const grads = new Map<string, Float32Array>([['input', await g.get(x)!.read()]]);
    for (const [name, p] of model.namedParameters()) grads.set(name, await g.get(p)!.read());
    const output = await y.read();
    expect(e.gpu.takeErrors()).toEqual([]);
    return { output, grads };
  } finally {
    e.endTape();
  }
}

function compareGrads(grads: Map<string, Float32Array>, io: StateDict, tag: string): void {
  const names = Object.keys(io)
    .filter((k) => k.startsWith('grad.'))
    .map((k) => k.slice(5))
    .sort();
  expect([...grads.keys()].sort()).toEqual(names);
  for (const n of names) compare(grads.get(n)!, io[`grad.${n}`], `${tag} d/d ${n}`);
}

describe('torch fixtures', () => {
  it('MLP nn.Sequential(Linear, ReLU, Linear): state dict loads strictly, output and gradients match', async () => {
    const rand = seededRandom(5);
    const mlp = new Sequential(e, [new Linear(e, 5, 7, 'none', rand), new ReLU(e), new Linear(e, 7, 3, 'none', rand)]);
    const state = load('mlp_state');
    expect(mlp.stateLayout().map(([n]) => n)).toEqual(torchOrder('mlp_state'));
    expect(mlp.loadStateDict(state).loaded).toBe(4);
    const io = load('mlp_io');
    const { output, grads } = await run(mlp, io);
    compare(output, io.output, 'MLP output');
    compareGrads(grads, io, 'MLP');
  });

  const convBlock = () => {
    const rand = seededRandom(6);
    return new Sequential(e, [
      new Conv2d(e, 3, 4, 3, rand, { padding: 1 }),
      new BatchNorm2d(e, 4),
      new LeakyReLU(e, 0.01),
      new Upsample(e, { scaleFactor: 2, mode: 'bilinear' }),
      new ConvTranspose2d(e, 4, 2, 3, rand, { stride: 2, padding: 1, outputPadding: 1 }),
    ]);
  };

  it("Conv2d → BatchNorm2d → LeakyReLU → bilinear Upsample → ConvTranspose2d has exactly torch's state-dict names", () => {
    const layout = convBlock().stateLayout();
    const state = load('conv_state');
    expect(layout.map(([n]) => n)).toEqual(torchOrder('conv_state'));
    for (const [n, { tensor, dtype }] of layout) expect([n, dtype, [...tensor.shape]]).toEqual([n, state[n].dtype, state[n].shape]);
    expect(state['1.num_batches_tracked'].dtype).toBe('I64');
  });

  it('conv block in train mode: output, gradients, updated running statistics and counter match torch', async () => {
    const model = convBlock();
    model.loadStateDict(load('conv_state'));
    const io = load('conv_train');
    model.train();
    const { output, grads } = await run(model, io);
    compare(output, io.output, 'train output');
    compareGrads(grads, io, 'train');
    expect(maxAbs(entryToFloat32(io['grad.0.bias']))).toBeLessThan(1e-5); // the zero noted at compare()
    const sd = await model.stateDict();
    // Running statistics: O(1) blends of batch moments, f32 on both sides; 1e-5 relative.
    compare(sd['1.running_mean'].data as Float32Array, io['after.1.running_mean'], 'running_mean', 1e-5, 1e-5);
    compare(sd['1.running_var'].data as Float32Array, io['after.1.running_var'], 'running_var', 1e-5, 1e-5);
    expect(sd['1.num_batches_tracked']).toEqual(io['after.1.num_batches_tracked']);
    expect(sd['1.num_batches_tracked'].data).toEqual(BigInt64Array.from([3n]));
  });

  it('conv block in eval mode (running statistics after the train pass): output and gradients match torch', async () => {
    const model = convBlock();
    model.loadStateDict(load('conv_state'));
    const train = load('conv_train');
    await run(model.train(), train); // the same train pass moves the running statistics as in the script
    const io = load('conv_eval');
    const before = await model.stateDict();
    const { output, grads } = await run(model.eval(), io);
    compare(output, io.output, 'eval output');
    compareGrads(grads, io, 'eval');
    const after = await model.stateDict();
    expect(after['1.running_mean']).toEqual(before['1.running_mean']);
    expect(after['1.num_batches_tracked'].data).toEqual(BigInt64Array.from([3n]));
  });
});
