import { it } from 'vitest';
import { testEngine } from '../helpers/engine';
import { matmul } from '../../src/tensor/ops/matmul';
import { segmentReduce } from '../../src/tensor/ops/segment';

it('prof', async () => {
  const e = await testEngine();
  const N = 8192, H = 32;
  const x = e.fromArray(new Float32Array(N * 2).fill(0.5), [N, 2]);
  const w = e.fromArray(new Float32Array(2 * H).fill(0.1), [2, H]);
  const w2 = e.fromArray(new Float32Array(H * H).fill(0.1), [H, H]);
  const offs = e.fromArray(Int32Array.from({ length: 101 }, (_, i) => Math.min(N, i * 80)), [101], { dtype: 'i32' });
  const time = async (name: string, f: () => unknown) => {
    await e.gpu.finish();
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) { e.scope(() => { f(); }); }
    await e.gpu.finish();
    console.log(name, ((performance.now() - t0) / 3).toFixed(1), 'ms');
  };
  const h = e.scope(() => matmul(x, w, { activation: 'relu' })).keep();
  await time('mm N×2×H', () => matmul(x, w, { activation: 'relu' }));
  await time('mm N×H×H', () => matmul(h, w2, { activation: 'relu' }));
  await time('mm dW H×N×H (transA)', () => matmul(h, h, { transA: true }));
  await time('mm dX N×H×H (transB)', () => matmul(h, w2, { transB: true }));
  await time('segsum', () => segmentReduce(h, offs, 'sum'));
  const t = e.beginTape();
  const hh = e.fromArray(new Float32Array(N * H).fill(1), [N, H], { requiresGrad: true });
  const y = segmentReduce(hh, offs, 'sum');
  await time('segsum bwd', () => t.backward(y, e.full(y.shape, 1)));
  e.endTape();
}, 600000);
