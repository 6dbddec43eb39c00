/**
 * conv2d: direct kernels vs implicit GEMM (src/tensor/conv/), per product, on the cosmic
 * U-ResNet's convolution shapes, through Node + Dawn (SwiftShader when there is no GPU).
 *   npx tsx --import ./scripts/raw-loader.mjs scripts/bench-conv.ts [--quick] [--rounds R]
 * Prints a markdown table: milliseconds of the direct kernel, of the fastest GEMM tile, their
 * ratio (GEMM / direct) and the engine the tuner's rule picks from these times. Batch 1:
 * one plane of the network's [B·3, C, H, W] activations.
 */
import { nodeGpuContext } from '../src/gpu/node';
import type { ConvShape } from '../src/tensor/conv/implicitGemm';
import { measureConvCandidates, pickConvEngine } from '../src/tensor/conv/select';
import type { ConvGemmKind } from '../src/tensor/conv/variant';

const quick = process.argv.includes('--quick');
const ri = process.argv.indexOf('--rounds');
const rounds = ri > 0 ? Number(process.argv[ri + 1]) : 2;

function shape(C: number, Cout: number, side: number, K: number): ConvShape {
  const pad = (K - 1) / 2;
  return { N: 1, Cin: C, Cout, H: side, W: side, K, stride: 1, pad, Ho: side, Wo: side };
}

// (channels in, out, plane side, kernel): the initial 5×5, residual 3×3 blocks down the levels.
const SHAPES: ConvShape[] = quick
  ? [shape(16, 16, 64, 3), shape(64, 64, 32, 3)]
  : [
      shape(1, 16, 256, 5),
      shape(16, 16, 256, 5),
      shape(16, 16, 256, 3),
      shape(32, 32, 128, 3),
      shape(64, 64, 64, 3),
      shape(128, 128, 64, 3),
      shape(256, 256, 64, 3),
    ];
const KINDS: ConvGemmKind[] = ['forward', 'inputGrad', 'weightGrad'];

const g = await nodeGpuContext();
const lines = [
  `adapter: ${g.adapter.description || g.adapter.vendor} (${g.adapter.architecture}); best of ${rounds} rounds`,
  '',
  '| shape (Cin→Cout, plane, k) | product | direct ms | GEMM ms (tile) | GEMM / direct | chosen |',
  '| --- | --- | --- | --- | --- | --- |',
];
process.stdout.write(lines.join('\n') + '\n');
for (const d of SHAPES) {
  for (const kind of KINDS) {
    const { timesMs, timer } = await measureConvCandidates(g, kind, d, rounds);
    let bestTile = '';
    for (const [name, ms] of Object.entries(timesMs)) if (name !== 'direct' && (!bestTile || ms < timesMs[bestTile])) bestTile = name;
    const direct = timesMs.direct;
    const gemm = timesMs[bestTile];
    const row = `| ${d.Cin}→${d.Cout}, ${d.H}×${d.W}, ${d.K}×${d.K} | ${kind} | ${direct.toFixed(1)} | ${gemm.toFixed(1)} (${bestTile}) | ${(gemm / direct).toFixed(2)} | ${pickConvEngine(timesMs)} |`;
    process.stdout.write(`${row}\n`);
    process.stderr.write(`${kind} ${JSON.stringify(timesMs)} ${timer}\n`);
  }
}
g.destroy();
