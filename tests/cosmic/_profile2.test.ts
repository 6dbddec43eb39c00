import { it } from 'vitest';
import { conv2d } from '../../src/tensor/ops/conv2d';
import { instanceNorm } from '../../src/tensor/ops/norm';
import { maxPool2d } from '../../src/tensor/ops/pool';
import { sum } from '../../src/tensor/ops/reduce';
import { relu } from '../../src/tensor/ops/elementwise';
import { segmentationCrossEntropy } from '../../src/losses/segmentation';
import { confusionCounts } from '../../src/tasks/cosmic/metricsGpu';
import { testEngine } from '../helpers/engine';

it('profile ops', async () => {
  const e = await testEngine();
  const x = e.parameter(new Float32Array(6 * 8 * 64 * 64).map(() => Math.random()), [6, 8, 64, 64]);
  const w = e.parameter(new Float32Array(8 * 8 * 9).map(() => Math.random()), [8, 8, 3, 3]);
  const b = e.parameter(new Float32Array(8), [8]);
  const g = e.parameter(new Float32Array(8).fill(1), [8]);
  const lab = e.fromArray(new Int32Array(6 * 4096), [6, 64, 64], { dtype: 'i32' }).keep();
  const cw = e.fromArray(new Float32Array(9).fill(1), [3, 3]).keep();
  const x3 = e.parameter(new Float32Array(6 * 3 * 4096).map(() => Math.random()), [6, 3, 64, 64]);
  const cases: [string, () => any][] = [
    ['conv fwd', () => conv2d(x, w, b, { stride: 1, pad: 1 })],
    ['conv fwd+bwd', () => { const t = e.beginTape(); const y = sum(conv2d(x, w, b, { stride: 1, pad: 1 })); t.backward(y); e.endTape(); }],
    ['norm fwd', () => instanceNorm(x, g, b)],
    ['norm fwd+bwd', () => { const t = e.beginTape(); const y = sum(instanceNorm(x, g, b)); t.backward(y); e.endTape(); }],
    ['relu fwd+bwd', () => { const t = e.beginTape(); const y = sum(relu(x)); t.backward(y); e.endTape(); }],
    ['sum fwd+bwd', () => { const t = e.beginTape(); const y = sum(x); t.backward(y); e.endTape(); }],
    ['maxpool fwd+bwd', () => { const t = e.beginTape(); const y = sum(maxPool2d(x)); t.backward(y); e.endTape(); }],
    ['xent fwd+bwd', () => { const t = e.beginTape(); const y = segmentationCrossEntropy(x3, lab, cw, { planes: 3, focal: false }); t.backward(y); e.endTape(); }],
    ['confusion', () => confusionCounts(e, x3, lab)],
  ];
  for (const [name, f] of cases) {
    e.scope(f); await e.gpu.finish();
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) { e.scope(f); e.gpu.submit(); }
    await e.gpu.finish();
    console.log(name, ((performance.now() - t0) / 3).toFixed(1), 'ms');
    for (const p of [x, w, b, g, x3]) p.grad = null;
  }
});
