/**
 * TransformerEncoderLayer against torch.nn.TransformerEncoderLayer (torch 1.13, fixtures from
 * tools/torch_fixtures/make_transformer_fixtures.py): torch's state dict loads strictly, and
 * outputs (train and eval mode) and the gradients of Σ out·R·keep w.r.t. the input and every
 * parameter agree with torch's.
 *
 * Tolerance: both sides compute in f32 but sum in different orders (torch CPU blocked GEMM vs
 * our tiled kernel), so each product carries ~K·2^-24 relative error (K ≤ 32) and each layer
 * norm divides it by the row's standard deviation. Measured worst differences are 3e-7 of
 * the largest |value| of each compared tensor (outputs and all 13 gradients, 4 configs);
 * 3e-6 of max |ref| plus 1e-5 relative leaves 10× margin. A wrong layout, mask, norm order or
 * activation (tanh-GELU instead of torch's erf-GELU) moves results by 1e-4 to 1e-1.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeStateDict } from '../../src/export/safetensors';
import { StateDictError } from '../../src/nn/module';
import { seededRandom } from '../../src/nn/init';
import { MultiheadAttention } from '../../src/nn/layers/attention';
import { TransformerEncoderLayer } from '../../src/nn/layers/transformer';
import type { StateDict, StateEntry } from '../../src/nn/stateDict';
import type { Engine } from '../../src/tensor/engine';
import type { Tensor } from '../../src/tensor/tensor';
import { testEngine } from '../helpers/engine';
import { expectClose } from '../helpers/opcheck';

const RTOL = 1e-5;
const ATOL_REL = 3e-6;
const DIR = join(__dirname, '..', 'fixtures', 'torch', 'transformer');
const CONFIGS = [
  { name: 'post_relu', normFirst: false, activation: 'relu' },
  { name: 'pre_relu', normFirst: true, activation: 'relu' },
  { name: 'post_gelu', normFirst: false, activation: 'gelu' },
  { name: 'pre_gelu', normFirst: true, activation: 'gelu' },
] as const;

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

function load(file: string): { state: StateDict; metadata: Record<string, string> } {
  return decodeStateDict(new Uint8Array(readFileSync(join(DIR, file))), file);
}

const values = (x: StateEntry) => Array.from(x.data as ArrayLike<number | bigint>, Number);
const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

function close(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expectClose(got, want, RTOL, ATOL_REL * Math.max(1e-3, maxAbs(want)), what);
}

function build(cfg: (typeof CONFIGS)[number]): TransformerEncoderLayer {
  return new TransformerEncoderLayer(e, 16, 4, seededRandom(7), {
    dimFeedforward: 32,
    dropout: 0,
    activation: cfg.activation,
    batchFirst: true,
    normFirst: cfg.normFirst,
  });
}

describe.each(CONFIGS)('TransformerEncoderLayer vs torch: $name', (cfg) => {
  const { state, metadata } = load(`${cfg.name}.state.safetensors`);
  const { state: data } = load(`${cfg.name}.data.safetensors`);
  const [B, T, E] = data.x.shape;
  const pad = values(data.key_padding_mask);
  // Real (unpadded) positions: torch's eval fast path may write anything at padded ones.
  const keep = Float32Array.from({ length: B * T * E }, (_, i) => (pad[Math.floor(i / E)] ? 0 : 1));

  it("has torch's state-dict keys in torch's order, loads strictly, and rejects a missing key", async () => {
    const layer = build(cfg);
    expect(layer.stateLayout().map(([k]) => k)).toEqual(JSON.parse(metadata.state_keys));
    const report = layer.loadStateDict(state, { strict: true });
    expect(report).toMatchObject({ missing: [], unexpected: [], mismatched: [], loaded: 12 });
    const mine = await layer.stateDict();
    for (const [k, v] of Object.entries(state)) expect(Array.from(mine[k].data as Float32Array), k).toEqual(values(v));
    const { ['norm2.bias']: _dropped, ...partial } = state;
    expect(() => layer.loadStateDict(partial)).toThrow(StateDictError);
    layer.dispose();
  });

  it('train mode: outputs and the gradients of Σ out·R·keep w.r.t. x and every parameter', async () => {
    const layer = build(cfg);
    layer.loadStateDict(state);
    layer.train();
    const R = Float32Array.from(values(data.R), (r, i) => r * keep[i]);
    const tape = e.beginTape();
    let kept: { y: Tensor<'f32'>; grads: Map<string, Tensor<'f32'>> };
    try {
      kept = e.scope(() => {
        const x = e.fromArray(Float32Array.from(values(data.x)), [B, T, E], { requiresGrad: true });
        const mask = e.fromArray(Int32Array.from(pad), [B, T], { dtype: 'i32' });
        const y = layer.forward(x, { srcKeyPaddingMask: mask });
        const g = tape.backward(y, e.fromArray(R, y.shape) as Tensor<'f32'>);
        const grads = new Map<string, Tensor<'f32'>>([['x', g.get(x)!]]);
        for (const [name, p] of layer.namedParameters()) grads.set(name, g.get(p)!);
        return { y, grads };
      });
    } finally {
      e.endTape();
    }
    expect(kept.y.shape).toEqual([B, T, E]);
    const out = await kept.y.read();
    const grads = new Map<string, Float32Array>();
    for (const [name, g] of kept.grads) grads.set(name, await g.read());
    for (const t of [kept.y, ...kept.grads.values()]) t.dispose();
    expect(e.gpu.takeErrors()).toEqual([]);
    // Train mode runs torch's general path: every position, padded ones included, is comparable.
    close(out, values(data.out_train), 'out_train');
    expect(grads.size).toBe(13);
    for (const [name, g] of grads) close(g, values(data[`grad.${name}`]), `grad.${name}`);
    layer.dispose();
  });

  it('eval mode (torch: no_grad fast path) at the real positions', async () => {
    const layer = build(cfg);
    layer.loadStateDict(state);
    layer.eval();
    const y = e.scope(() => {
      const x = e.fromArray(Float32Array.from(values(data.x)), [B, T, E]);
      const mask = e.fromArray(Float32Array.from(pad), [B, T]);
      return layer.forward(x, { srcKeyPaddingMask: mask });
    });
    const out = await y.read();
    y.dispose();
    expect(e.gpu.takeErrors()).toEqual([]);
    const want = values(data.out_eval);
    close(
      out.map((v, i) => v * keep[i]),
      want.map((v, i) => v * keep[i]),
      'out_eval',
    );
    layer.dispose();
  });
});

describe('MultiheadAttention vs torch: cross-attention, [L, B, E], key padding and additive -inf masks', () => {
  const { state, metadata } = load('mha.state.safetensors');
  const { state: data } = load('mha.data.safetensors');
  const build = () => new MultiheadAttention(e, 12, 3, seededRandom(3));

  it("loads torch's state dict strictly and matches the output and all gradients", async () => {
    const mha = build();
    expect(mha.stateLayout().map(([k]) => k)).toEqual(JSON.parse(metadata.state_keys));
    mha.loadStateDict(state);
    const f32 = (name: string, grad = false) =>
      e.fromArray(Float32Array.from(values(data[name])), data[name].shape, { requiresGrad: grad });
    const tape = e.beginTape();
    let kept: { y: Tensor<'f32'>; grads: Map<string, Tensor<'f32'>> };
    try {
      kept = e.scope(() => {
        const [q, k, v] = [f32('query', true), f32('key', true), f32('value', true)];
        const y = mha.forward(q, k, v, {
          keyPaddingMask: e.fromArray(Int32Array.from(values(data.key_padding_mask)), data.key_padding_mask.shape, { dtype: 'i32' }),
          attnMask: f32('attn_mask'),
        });
        const g = tape.backward(y, f32('R'));
        const grads = new Map<string, Tensor<'f32'>>([
          ['query', g.get(q)!],
          ['key', g.get(k)!],
          ['value', g.get(v)!],
        ]);
        for (const [name, p] of mha.namedParameters()) grads.set(name, g.get(p)!);
        return { y, grads };
      });
    } finally {
      e.endTape();
    }
    expect(e.gpu.takeErrors()).toEqual([]);
    expect(kept.y.shape).toEqual([5, 2, 12]);
    close(await kept.y.read(), values(data.out), 'out');
    expect(kept.grads.size).toBe(7);
    for (const [name, g] of kept.grads) close(await g.read(), values(data[`grad.${name}`]), `grad.${name}`);
    for (const t of [kept.y, ...kept.grads.values()]) t.dispose();
    mha.dispose();
  });

  it('unbatched [L, E] input equals batch 0 of the batched call', async () => {
    const mha = build();
    mha.loadStateDict(state);
    const [q, k] = [values(data.query), values(data.key)];
    const [both, one] = e.scope(() => {
      const qb = e.fromArray(Float32Array.from(q), [5, 2, 12]);
      const kb = e.fromArray(Float32Array.from(k), [7, 2, 12]);
      // Batch 0 of [L, B, E] rows: every other row of 12.
      const row0 = (x: number[], L: number) => Float32Array.from({ length: L * 12 }, (_, i) => x[Math.floor(i / 12) * 24 + (i % 12)]);
      return [mha.forward(qb, kb), mha.forward(e.fromArray(row0(q, 5), [5, 12]), e.fromArray(row0(k, 7), [7, 12]))];
    });
    const [a, b] = [await both.read(), await one.read()];
    expect(one.shape).toEqual([5, 12]);
    close(
      b,
      Float32Array.from({ length: 60 }, (_, i) => a[Math.floor(i / 12) * 24 + (i % 12)]),
      'unbatched',
    );
    both.dispose();
    one.dispose();
    mha.dispose();
  });
});

describe('attention dropout (train mode)', () => {
  it('drops probabilities in train mode only, with a new mask per forward, and back-propagates', async () => {
    const mha = new MultiheadAttention(e, 8, 2, seededRandom(4), { batchFirst: true, dropout: 0.5, seed: 11 });
    const x = e
      .fromArray(
        Float32Array.from({ length: 3 * 9 * 8 }, (_, i) => Math.sin(i)),
        [3, 9, 8],
        { requiresGrad: true },
      )
      .keep();
    const evalOut = await e.scope(() => mha.eval().forward(x)).read();
    mha.train();
    const tape = e.beginTape();
    let first: Float32Array;
    let gx: Float32Array;
    try {
      const [y, g] = e.scope(() => {
        const y = mha.forward(x);
        return [y, tape.backward(y, e.full(y.shape, 1)).get(x)!];
      });
      first = await y.read();
      gx = await g.read();
      y.dispose();
      g.dispose();
    } finally {
      e.endTape();
    }
    const second = await e.scope(() => mha.forward(x)).read();
    const diff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
    expect(diff(first, evalOut)).toBeGreaterThan(1e-2);
    expect(diff(first, second)).toBeGreaterThan(1e-2);
    expect(gx.every(Number.isFinite) && gx.some((v) => v !== 0)).toBe(true);
    expect(e.gpu.takeErrors()).toEqual([]);
    x.dispose();
    mha.dispose();
  });
});
