/**
 * Object condensation loss, forward + backward: fused (tiger, O(N+K) memory) vs dense (N×K
 * matrices), time and peak GPU memory of the engine's buffer pool, on Dawn in Node.
 *   npx tsx --import ./scripts/raw-loader.mjs scripts/bench-oc.ts [--quick]
 * Full: N = 10k, 50k, 100k hits × K = 100, 1000, 5000 objects, D = 8 (long on SwiftShader:
 * use a real GPU); --quick: N = 2k, 5k × K = 50, 200 (bounded on SwiftShader). Dense is
 * reported as "out of memory" where its N×K buffers exceed the device's maxBufferSize.
 */
import { nodeGpuContext } from '../src/gpu/node';
import { Engine } from '../src/tensor/engine';
import type { Tensor } from '../src/tensor/tensor';
import { buildOcLayout, ocLossOp, uploadOcLayout } from '../src/losses/oc';
import { denseFits } from '../src/losses/oc/kernels';
import { seededRandom } from '../src/nn/init';

const quick = process.argv.includes('--quick');
const NS = quick ? [2000, 5000] : [10_000, 50_000, 100_000];
const KS = quick ? [50, 200] : [100, 1000, 5000];
const D = 8;
const REPS = quick ? 2 : 3;

async function timeOne(e: Engine, n: number, k: number, impl: 'fused' | 'dense') {
  const rand = seededRandom(n + k);
  const ids = Int32Array.from({ length: n }, () => Math.floor(rand() * (k + 1))); // 0 = noise
  const layout = uploadOcLayout(e, buildOcLayout(ids));
  if (impl === 'dense' && !denseFits(e.gpu, layout)) {
    layout.dispose();
    return null;
  }
  const beta = e
    .fromArray(
      Float32Array.from({ length: n }, () => 0.9 * rand()),
      [n],
      { requiresGrad: true },
    )
    .keep();
  const x = e
    .fromArray(
      Float32Array.from({ length: n * D }, () => 3 * rand()),
      [n, D],
      { requiresGrad: true },
    )
    .keep();
  const seed = e.fromArray(Float32Array.from([1, 1, 1, 1]), [4]).keep() as Tensor<'f32'>;
  const step = () => {
    const tape = e.beginTape();
    try {
      e.scope(() => {
        const out = e.apply(ocLossOp, [beta, x], { layout, qMin: 0.5, impl, hasWeights: false });
        tape.backward(out, seed);
      });
    } finally {
      e.endTape();
    }
  };
  step(); // compile pipelines, warm the pool
  await e.gpu.finish();
  e.gpu.pool.resetPeak();
  const t0 = performance.now();
  for (let r = 0; r < REPS; r++) step();
  await e.gpu.finish();
  const ms = (performance.now() - t0) / REPS;
  const peak = e.gpu.pool.getStats().peakInUseBytes;
  for (const t of [beta, x, seed]) t.dispose();
  layout.dispose();
  await e.gpu.finish();
  const errors = e.gpu.takeErrors();
  if (errors.length) throw new Error(errors.join('\n'));
  return { ms, peak };
}

async function main() {
  const e = new Engine(await nodeGpuContext());
  console.log(
    `device: ${e.gpu.adapter.description || e.gpu.adapter.vendor}; maxBufferSize ${(e.gpu.device.limits.maxBufferSize / 2 ** 20).toFixed(0)} MiB; D = ${D}`,
  );
  console.log('N\tK\tfused ms\tfused MiB\tdense ms\tdense MiB\ttime dense/fused\tmemory dense/fused');
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  for (const n of NS) {
    for (const k of KS) {
      const f = (await timeOne(e, n, k, 'fused'))!;
      const d = await timeOne(e, n, k, 'dense');
      console.log(
        d
          ? `${n}\t${k}\t${f.ms.toFixed(1)}\t${mib(f.peak)}\t${d.ms.toFixed(1)}\t${mib(d.peak)}\t${(d.ms / f.ms).toFixed(2)}\t${(d.peak / f.peak).toFixed(1)}`
          : `${n}\t${k}\t${f.ms.toFixed(1)}\t${mib(f.peak)}\tout of memory (N×K×4 B = ${mib(n * k * 4)} MiB > maxBufferSize)\t-\t-\t-`,
      );
    }
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
