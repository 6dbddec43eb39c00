// CosmicUResNet's ONNX export in onnxruntime-web, and our weights in upstream's torch model
// (tests/fixtures/torch/cosmic/README.md: ours_small*.safetensors).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeStateDict, encodeSafetensors } from '../../src/export/safetensors';
import { maxAbsDifference, runOnnx } from '../../src/export/verifyOnnx';
import { CosmicUResNet, SMALL_URESNET, type CosmicNetworkConfig } from '../../src/nn/cosmicUResNet';
import { cosmicUResNetToOnnx } from '../../src/nn/cosmicUResNetOnnx';
import { seededRandom } from '../../src/nn/init';
import { entryToFloat32, type StateDict } from '../../src/nn/stateDict';
import type { Engine } from '../../src/tensor/engine';
import { testEngine } from '../helpers/engine';
import { uniform } from '../helpers/random';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** A seeded model whose batch-norm statistics moved: two train-mode forwards on other inputs. */
async function warmedModel(cfg: CosmicNetworkConfig, B: number, H: number, W: number): Promise<CosmicUResNet> {
  const m = new CosmicUResNet(e, cfg, seededRandom(7));
  for (let k = 0; k < 2; k++) e.scope(() => m.forward(e.fromArray(Float32Array.from(uniform(B * 3 * H * W, 50 + k, 0, 3)), [B, 3, H, W])));
  await m.stateDict(); // flush
  return m.eval();
}

describe('CosmicUResNet ONNX: image [B, 3, H, W] → logits [B, 3, 3, H, W], run in onnxruntime-web', () => {
  const variants: [string, Partial<CosmicNetworkConfig>][] = [
    ['small preset: batch norm, bilinear, max pooling, concat, residual', {}],
    [
      'transposed-conv upsampling, strided-conv downsampling, sum, plain blocks, no norm, block_concat',
      {
        upsampling: 'convolutional',
        downsampling: 'convolutional',
        connections: 'sum',
        residual: false,
        normalization: 'none',
        block_concat: true,
      },
    ],
  ];
  for (const [name, over] of variants) {
    it(`matches the engine's eval-mode logits at two image sizes (H, W dynamic): ${name}`, async () => {
      const model = await warmedModel({ ...SMALL_URESNET, n_initial_filters: 4, bottleneck_deepest: 8, ...over }, 2, 16, 12);
      const bytes = await cosmicUResNetToOnnx(model);
      for (const [B, H, W] of [
        [2, 16, 12],
        [1, 8, 20],
      ]) {
        const x = Float32Array.from(uniform(B * 3 * H * W, 4 + H, 0, 2));
        const y = e.scope(() => model.forward(e.fromArray(x, [B, 3, H, W])));
        const ours = await y.read();
        y.dispose();
        const out = await runOnnx(bytes, { image: { data: x, dims: [B, 3, H, W] } });
        expect(out.logits.dims).toEqual([B, 3, 3, H, W]);
        // The same f32 arithmetic in another summation order through ~15 layers: ~1e-6 of
        // the largest logit; 1e-4 of it is a clear margin and far below a wrong op (nearest
        // instead of bilinear, batch statistics instead of running ones: ≥ 1e-2).
        expect(maxAbsDifference(out.logits.data, ours)).toBeLessThan(1e-4 * Math.max(1, maxAbs(ours)));
      }
      model.dispose();
      expect(e.gpu.takeErrors()).toEqual([]);
    }, 120_000);
  }
});

describe("our weights in upstream's torch UResNet", () => {
  const path = 'tests/fixtures/torch/cosmic/ours_small.safetensors';
  const torchPath = 'tests/fixtures/torch/cosmic/ours_small_torch.safetensors';

  it("our seeded small model's state dict equals the committed one, and upstream (strict load) gives our logits", async () => {
    const [B, H, W] = [1, 16, 32];
    const model = await warmedModel(SMALL_URESNET, B, H, W);
    const x = Float32Array.from(uniform(B * 3 * H * W, 99, 0, 2));
    const y = e.scope(() => model.forward(e.fromArray(x, [B, 3, H, W])));
    const logits = await y.read();
    y.dispose();
    const sd = await model.stateDict();
    const file: StateDict = {
      input: { dtype: 'F32', shape: [B, 3, H, W], data: x },
      'ours.logits': { dtype: 'F32', shape: [B, 3, 3, H, W], data: logits },
    };
    for (const [k, v] of Object.entries(sd)) file[`state.${k}`] = v;
    if (process.env.COSMIC_WRITE_OURS) writeFileSync(path, encodeSafetensors(file, { config: JSON.stringify(SMALL_URESNET) }));
    expect(existsSync(torchPath), 'run make_cosmic_fixtures.py --check-ours').toBe(true);
    const committed = decodeStateDict(new Uint8Array(readFileSync(path))).state;
    // Same seed, same engine: the committed state is what this code produces (running
    // statistics are GPU reductions, f32 rounding aside: 1e-6 relative).
    expect(Object.keys(committed).sort()).toEqual(Object.keys(file).sort());
    for (const [k, v] of Object.entries(sd)) {
      if (v.dtype === 'I64') expect(committed[`state.${k}`].data, k).toEqual(v.data);
      else
        expect(maxAbsDifference(entryToFloat32(committed[`state.${k}`]), v.data as Float32Array), k).toBeLessThanOrEqual(
          1e-6 * Math.max(1, maxAbs(v.data as Float32Array)),
        );
    }
    const torchLogits = entryToFloat32(decodeStateDict(new Uint8Array(readFileSync(torchPath))).state.logits);
    // f32 vs f32 through the small net (tests/cosmic/upstreamUResNet.test.ts measures ~5e-7).
    expect(maxAbsDifference(torchLogits, logits)).toBeLessThanOrEqual(1e-4 * maxAbs(torchLogits));
    model.dispose();
  }, 120_000);
});
