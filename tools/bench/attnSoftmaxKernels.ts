/**
 * The attention softmax stage alone, workgroup-per-row vs row-per-thread kernel, at SPANet v2's
 * shapes (4 heads, the particle vector + up to 10 jets as queries and keys), through Node +
 * Dawn (SwiftShader without a GPU): the GPU time of the softmax and softmax-backward
 * dispatches of one attention4d forward + backward, by timestamp queries, median of rounds.
 *
 *   npx tsx --import ./scripts/raw-loader.mjs tools/bench/attnSoftmaxKernels.ts [--rounds R]
 */
import { nodeGpuContext } from '../../src/gpu/node';
import { profileStep } from '../../src/gpu/profiler';
import { Engine } from '../../src/tensor/engine';
import { attention4d, pinAttentionSoftmax, type AttentionSoftmaxKernel } from '../../src/tensor/ops/attention4d';
import { median } from './timing';

const ri = process.argv.indexOf('--rounds');
const rounds = ri > 0 ? Number(process.argv[ri + 1]) : 5;

// B events, H heads, T = S tokens: upstream's tt̄ encoder at the bench's 8 events and at its batch of 32.
const SHAPES = [
  { B: 8, H: 4, T: 11, D: 16 },
  { B: 32, H: 4, T: 11, D: 16 },
  { B: 32, H: 4, T: 21, D: 16 },
];
const KERNELS: AttentionSoftmaxKernel[] = ['workgroup', 'rows'];

const e = new Engine(await nodeGpuContext());
const rand = (n: number, seed: number) => {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1);
};

/** GPU ms of the softmax forward and backward dispatches of one attention forward + backward. */
async function softmaxMs(B: number, H: number, T: number, D: number, kernel: AttentionSoftmaxKernel) {
  const input = (seed: number) => e.fromArray(rand(B * H * T * D, seed), [B, H, T, D], { requiresGrad: true }).keep();
  const [q, k, v] = [input(1), input(2), input(3)];
  // A third of the keys padded in every event but the particle vector's (key 0).
  const pads = Float32Array.from({ length: B * T }, (_, i) => (i % T !== 0 && i % 3 === 0 ? 1 : 0));
  const mask = e.fromArray(pads, [B, T]).keep();
  const step = () =>
    e.scope(() => {
      const tape = e.beginTape();
      try {
        tape.backward(attention4d(q, k, v, { keyMask: mask, keyMaskPads: true }), e.fromArray(rand(B * H * T * D, 4), [B, H, T, D]));
      } finally {
        e.endTape();
      }
    });
  pinAttentionSoftmax(kernel);
  const fwd: number[] = [],
    bwd: number[] = [];
  try {
    step(); // compiles the pipelines
    await e.gpu.finish();
    for (let r = 0; r < rounds; r++) {
      const p = await profileStep(e.gpu, step);
      if (p.timer !== 'timestamp') throw new Error('this adapter has no timestamp queries');
      const ms = (name: string) => p.kernels.filter((x) => x.kernel.includes(`#${name}`)).reduce((a, x) => a + (x.ms ?? 0), 0);
      fwd.push(ms(kernel === 'rows' ? 'attn4d_softmax_rows' : 'attn4d_softmax'));
      bwd.push(ms(kernel === 'rows' ? 'attn4d_softmax_backward_rows' : 'attn4d_softmax_backward'));
    }
  } finally {
    pinAttentionSoftmax(null);
    for (const t of [q, k, v, mask]) t.dispose();
  }
  return { fwd: median(fwd), bwd: median(bwd) };
}

const lines = [
  `adapter: ${e.gpu.adapter.description || e.gpu.adapter.vendor}; median of ${rounds} rounds; GPU ms per call`,
  '',
  '| B × H × T (rows of T keys) | softmax: workgroup | rows | workgroup / rows | backward: workgroup | rows | workgroup / rows |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
];
for (const { B, H, T, D } of SHAPES) {
  const [wg, rows] = [await softmaxMs(B, H, T, D, KERNELS[0]), await softmaxMs(B, H, T, D, KERNELS[1])];
  const f = (x: number) => x.toFixed(3);
  lines.push(
    `| ${B} × ${H} × ${T} (${B * H * T} rows) | ${f(wg.fwd)} | ${f(rows.fwd)} | ${(wg.fwd / rows.fwd).toFixed(0)}× | ${f(wg.bwd)} | ${f(rows.bwd)} | ${(wg.bwd / rows.bwd).toFixed(0)}× |`,
  );
}
process.stdout.write(lines.join('\n') + '\n', () => process.exit(0));
