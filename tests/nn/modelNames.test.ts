import { beforeAll, describe, expect, it } from 'vitest';
import { decodeStateDict, encodeSafetensors } from '../../src/export/safetensors';
import { seededRandom } from '../../src/nn/init';
import { StateDictError, type Module } from '../../src/nn/module';
import { SpanetModel, type SpanetModelConfig } from '../../src/nn/spanet';
import { DEFAULT_URESNET, UResNet, type UResNetConfig } from '../../src/nn/uresnet';
import type { Engine } from '../../src/tensor/engine';
import type { Tensor } from '../../src/tensor/tensor';
import { testEngine } from '../helpers/engine';
import { uniform } from '../helpers/random';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

const layout = (m: Module) => m.stateLayout().map(([n, { tensor }]) => `${n} [${tensor.shape.join(',')}]`);

// ---- U-ResNet -------------------------------------------------------------------------
const tinyUResNet: UResNetConfig = { ...DEFAULT_URESNET, depth: 1, initialFilters: 4, bottleneckDeepest: 8, bias: false };

/** conv + instance norm of a ConvBlock named `p`: weight [out, in, k, k], norm [out]. */
const block = (p: string, out: number, inp: number, k: number) => [
  `${p}.conv.weight [${out},${inp},${k},${k}]`,
  `${p}.norm.weight [${out}]`,
  `${p}.norm.bias [${out}]`,
];
const residual = (p: string, ch: number, k: number) => [...block(`${p}.a`, ch, ch, k), ...block(`${p}.b`, ch, ch, k)];

describe('U-ResNet state dict', () => {
  it('names follow the module tree, in creation order, with torch conv layouts', () => {
    const m = new UResNet(e, tinyUResNet, seededRandom(1));
    // 3 planes of 8 channels joined at the deepest layer: 24 channels in and out of the bottleneck.
    expect(layout(m)).toEqual([
      ...block('initial', 4, 1, 5),
      ...residual('core.down.0', 4, 3),
      ...block('core.downsample', 8, 4, 1),
      ...block('core.deepest.bottleneck', 8, 24, 1),
      ...residual('core.deepest.blocks.0', 8, 3),
      ...block('core.deepest.unbottleneck', 24, 8, 1),
      ...block('core.upsample', 4, 8, 1),
      ...block('core.merge', 4, 8, 1),
      ...residual('core.up.0', 4, 3),
      ...residual('final.0', 4, 3),
      'classifier.conv.weight [3,4,1,1]',
      'classifier.conv.bias [3]',
    ]);
    m.dispose();
  });

  it('nests levels as core.inner…, keeps depth 0 under core.deepest, and names conv biases without norm', () => {
    const keys = (over: Partial<UResNetConfig>) => {
      const m = new UResNet(e, { ...tinyUResNet, ...over }, seededRandom(1));
      const k = m.stateLayout().map(([n]) => n);
      m.dispose();
      return k;
    };
    expect(keys({ depth: 2 })).toContain('core.inner.deepest.bottleneck.conv.weight');
    expect(keys({ depth: 2 })).toContain('core.inner.merge.norm.bias');
    expect(keys({ depth: 0 }).filter((k) => k.startsWith('core.'))[0]).toBe('core.deepest.bottleneck.conv.weight');
    const plain = keys({ normalization: 'none', bias: true, residual: false, connections: 'sum' });
    expect(plain).toContain('core.down.0.conv.bias');
    expect(plain.some((k) => k.includes('.norm.') || k.includes('.merge.'))).toBe(false);
  });
});

// ---- SPANet ---------------------------------------------------------------------------
const spanetConfig: SpanetModelConfig = {
  tokenWidth: 5,
  width: 8,
  layers: 1,
  heads: 2,
  ffWidth: 16,
  assignDim: 3,
  particles: [
    {
      name: 't',
      k: 3,
      perms: [
        [0, 1, 2],
        [0, 2, 1],
      ],
    },
    {
      name: 'h',
      k: 2,
      perms: [
        [0, 1],
        [1, 0],
      ],
    },
    { name: 'w', k: 1, perms: [[0]] },
  ],
  regressions: 1,
  classCounts: [2],
};

describe('SPANet state dict', () => {
  it('names: embed, encoder layers, final norm, heads by particle, torch Linear [out, in]', () => {
    const m = new SpanetModel(e, spanetConfig, seededRandom(1));
    const lin = (p: string, out: number, inp: number) => [`${p}.weight [${out},${inp}]`, `${p}.bias [${out}]`];
    const ln = (p: string) => [`${p}.weight [8]`, `${p}.bias [8]`];
    // torch order: a module's own parameters (the head's rank-k weight) before its children's.
    const head = (p: string, shape: number[]) => [`assignment.${p}.weight [${shape.join(',')}]`, ...lin(`assignment.${p}.proj`, 3, 8)];
    expect(layout(m)).toEqual([
      ...lin('embed.0', 8, 5),
      ...lin('embed.1', 8, 8),
      ...ln('encoder.0.ln1'),
      ...lin('encoder.0.qkv', 24, 8),
      ...lin('encoder.0.proj', 8, 8),
      ...ln('encoder.0.ln2'),
      ...lin('encoder.0.ff1', 16, 8),
      ...lin('encoder.0.ff2', 8, 16),
      ...ln('final_norm'),
      ...head('t', [3, 3, 3]),
      ...head('h', [3, 3]),
      ...head('w', [3]),
      ...lin('detection', 6, 8),
      ...lin('regression.layers.0', 8, 8),
      ...lin('regression.layers.1', 1, 8),
      ...lin('classification.0', 2, 8),
    ]);
    m.dispose();
  });
});

// ---- round trip through safetensors -----------------------------------------------------
/** Copies `from`'s state dict into `to` through safetensors bytes (strict load). */
async function copyThroughSafetensors(from: Module, to: Module): Promise<void> {
  const { state } = decodeStateDict(encodeSafetensors(await from.stateDict()));
  const report = to.loadStateDict(state, { strict: true });
  expect(report).toMatchObject({ missing: [], unexpected: [], mismatched: [] });
  expect(report.loaded).toBe(from.stateLayout().length);
}

async function readAll(ts: Tensor<'f32'>[]): Promise<Float32Array[]> {
  const out = await Promise.all(ts.map((t) => t.read()));
  for (const t of ts) t.dispose();
  return out;
}

describe('stateDict → safetensors → loadStateDict(strict) into a differently seeded model', () => {
  // The same kernels on the same weights and inputs are deterministic (no float atomics), so
  // after the load the outputs must be bitwise equal; before it they must differ.
  it('U-ResNet: identical logits', async () => {
    const a = new UResNet(e, tinyUResNet, seededRandom(1));
    const b = new UResNet(e, tinyUResNet, seededRandom(2));
    const x = Float32Array.from(uniform(6 * 8 * 12, 3, 0, 1));
    const logits = async (m: UResNet) => (await readAll([e.scope(() => m.forward(e.fromArray(x, [6, 1, 8, 12])))]))[0];
    const ya = await logits(a);
    expect(await logits(b)).not.toEqual(ya);
    await copyThroughSafetensors(a, b);
    expect(await logits(b)).toEqual(ya);

    // A missing key fails the strict load, names the key and leaves the model as it was.
    const sd = await a.stateDict();
    delete sd['core.deepest.blocks.0.a.conv.weight'];
    const c = new UResNet(e, tinyUResNet, seededRandom(2));
    const before = await logits(c);
    expect(() => c.loadStateDict(sd)).toThrow(StateDictError);
    expect(() => c.loadStateDict(sd)).toThrow(/missing keys: core\.deepest\.blocks\.0\.a\.conv\.weight/);
    expect(await logits(c)).toEqual(before);
    for (const m of [a, b, c]) m.dispose();
    expect(e.gpu.takeErrors()).toEqual([]);
  });

  it('SPANet: identical assignment, detection, regression and classification outputs', async () => {
    const B = 2,
      N = 5,
      T = B * N + B;
    const tokens = Float32Array.from(uniform(T * spanetConfig.tokenWidth, 4));
    const jetMask = Uint32Array.from({ length: B * N }, (_, i) => (i === B * N - 1 ? 0 : 1)); // event 1 has 4 jets
    const attnMask = Uint32Array.from({ length: B * (N + 1) }, (_, i) =>
      i % (N + 1) === N ? 1 : jetMask[Math.floor(i / (N + 1)) * N + (i % (N + 1))],
    );
    const outputs = async (m: SpanetModel) => {
      const o = e.scope(() =>
        m.forward(
          {
            tokens: e.fromArray(tokens, [T, spanetConfig.tokenWidth]),
            attnMask: e.fromArray(attnMask, [B, N + 1], { dtype: 'u32' }),
            jetMask: e.fromArray(jetMask, [B, N], { dtype: 'u32' }),
          },
          B,
          N,
        ),
      );
      return readAll([...o.logProbs, o.detectionLogits, o.regression!, ...o.classLogits]);
    };
    const a = new SpanetModel(e, spanetConfig, seededRandom(1));
    const b = new SpanetModel(e, spanetConfig, seededRandom(2));
    const ya = await outputs(a);
    expect(ya).toHaveLength(3 + 1 + 1 + 1);
    expect(await outputs(b)).not.toEqual(ya);
    await copyThroughSafetensors(a, b);
    expect(await outputs(b)).toEqual(ya);

    // Another event description is another model: its keys do not fit.
    const other = new SpanetModel(e, { ...spanetConfig, particles: spanetConfig.particles.slice(0, 2) }, seededRandom(3));
    const sdA = await a.stateDict();
    expect(() => other.loadStateDict(sdA)).toThrow(
      /unexpected keys: assignment\.w\.weight, assignment\.w\.proj\.weight, assignment\.w\.proj\.bias/,
    );
    for (const m of [a, b, other]) m.dispose();
    expect(e.gpu.takeErrors()).toEqual([]);
  });
});
