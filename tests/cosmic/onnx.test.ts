import { beforeAll, describe, expect, it } from 'vitest';
import { runOnnx, maxAbsDifference } from '../../src/export/verifyOnnx';
import { seededRandom } from '../../src/nn/init';
import { DEFAULT_URESNET, UResNet, type UResNetConfig } from '../../src/nn/uresnet';
import { uresnetToOnnx } from '../../src/nn/uresnetOnnx';
import type { Engine } from '../../src/tensor/engine';
import { testEngine } from '../helpers/engine';
import { uniform } from '../helpers/random';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

const tiny: UResNetConfig = { ...DEFAULT_URESNET, initialFilters: 4, bottleneckDeepest: 8 };

describe('U-ResNet ONNX export, run in onnxruntime-web', () => {
  const variants: [string, Partial<UResNetConfig>][] = [
    ['default: residual, concat, max pooling, instance norm, joined planes', {}],
    [
      'sum connections, strided-conv downsampling, plain blocks, no norm, separate planes',
      { connections: 'sum', downsampling: 'convolutional', residual: false, normalization: 'none', bias: true, joinPlanes: false },
    ],
  ];
  for (const [name, over] of variants) {
    it(`matches the engine's logits: ${name}`, async () => {
      const model = new UResNet(e, { ...tiny, ...over }, seededRandom(3));
      // Two events of 3 planes, 16×12 pixels (non-square, to catch swapped axes).
      const x = Float32Array.from(uniform(6 * 16 * 12, 4, 0, 2));
      const y = e.scope(() => model.forward(e.fromArray(x, [6, 1, 16, 12])));
      const ours = await y.read();
      y.dispose();
      const bytes = await uresnetToOnnx(model, 16, 12);
      const out = await runOnnx(bytes, { images: { data: x, dims: [6, 1, 16, 12] } });
      expect(out.logits.dims).toEqual([6, 3, 16, 12]);
      // Same f32 arithmetic in another summation order through ~10 layers with instance
      // norm: differences of ~1e-5 relative to O(1) logits; 1e-3 absolute is a clear margin.
      expect(maxAbsDifference(out.logits.data, ours)).toBeLessThan(1e-3);
      model.dispose();
      expect(e.gpu.takeErrors()).toEqual([]);
    });
  }
});
