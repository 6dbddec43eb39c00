import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone has no gradient functions; the full @tensorflow/tfjs bundle imports these.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { createGpuContext } from '../../src/gpu/context';
import { profileStep } from '../../src/gpu/profiler';
import { Engine } from '../../src/tensor/engine';
import { matmulTuningIdle } from '../../src/tensor/matmul/autotune';
import { prepareClustering } from './cases/clustering';
import { prepareDeepSet, prepareSegmentSum } from './cases/deepsets';
import { withJaxPeer } from './cases/jaxPeer';
import { prepareMatmul } from './cases/matmul';
import { prepareMlp } from './cases/mlp';
import { prepareOc } from './cases/oc';
import { prepareSpanetEncoder } from './cases/spanet';
import { prepareSpanetV2 } from './cases/spanetV2';
import { prepareSpanetV2Encoder } from './cases/spanetV2Encoder';
import { prepareUResNet } from './cases/uresnet';
import { oursPeakBytes, tfjsPeakBytes, type BenchContext, type PreparedCase } from './context';
import { measureRecording } from './recording';
import { median, timeSides } from './timing';
import type { BenchApi, CaseResult, CaseSpec, PageInfo } from './types';

let context: BenchContext | null = null;

async function init(options: { perDispatch?: boolean } = {}): Promise<PageInfo> {
  const gpu = await createGpuContext(navigator.gpu);
  if (options.perDispatch) gpu.recordingMode = 'perDispatch';
  // tfjs asks navigator.gpu for its own adapter and device; setBackend returns false
  // (and logs why) when that fails, so say so instead of timing its CPU fallback.
  if (!(await tf.setBackend('webgpu')) || tf.getBackend() !== 'webgpu') {
    throw new Error(`tfjs could not start its webgpu backend (active: ${tf.getBackend()})`);
  }
  await tf.ready();
  context = { engine: new Engine(gpu), tfBackend: tf.backend() as WebGPUBackend };
  const { vendor, architecture, device, description, isFallbackAdapter } = gpu.adapter;
  return {
    userAgent: navigator.userAgent,
    adapter: { vendor, architecture, device, description, isFallbackAdapter },
    tfjsBackend: tf.getBackend(),
    tfjsVersion: tf.version_core,
    recordingMode: gpu.recordingMode,
    isolated: globalThis.crossOriginIsolated === true,
  };
}

async function prepare(ctx: BenchContext, spec: CaseSpec): Promise<PreparedCase> {
  switch (spec.kind) {
    case 'matmul':
      return prepareMatmul(ctx, spec.n);
    case 'mlp':
      return prepareMlp(ctx, spec.batch, spec.widths);
    case 'deepset':
      return prepareDeepSet(ctx, spec.sets, spec.meanSize, spec.width, spec.depth);
    case 'segmentSum':
      return prepareSegmentSum(ctx, spec.rows, spec.cols, spec.segments);
    case 'oc':
      return prepareOc(ctx, spec.n, spec.k, spec.d);
    case 'uresnet':
      return prepareUResNet(ctx, spec.events, spec.size);
    case 'spanet':
      return prepareSpanetEncoder(ctx, spec);
    case 'spanet-v2':
      return prepareSpanetV2(ctx, spec);
    case 'spanet-v2-encoder':
      return prepareSpanetV2Encoder(ctx, spec);
    case 'clustering':
      return prepareClustering(ctx, spec.eventsPerBatch, spec.hidden);
  }
}

const api: BenchApi = {
  init,
  async run(spec, runPlan) {
    if (!context) throw new Error('call bench.init() first');
    const { engine, tfBackend } = context;
    const plan = { ...runPlan, ...spec.plan };
    const t0 = performance.now();
    const since = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
    const c = await withJaxPeer(context, spec, await prepare(context, spec));
    console.info(`${c.id}: prepared (${since()})`);
    try {
      const check = await c.check();
      // The check's first products started the matmul tuner; time only the tuned kernels.
      await matmulTuningIdle(engine.gpu);
      console.info(`${c.id}: checked (${since()})`);
      const variants = c.variants ?? [];
      let memory: CaseResult['memory'] = c.memory;
      const variantPeaks: (number | undefined)[] = variants.map(() => undefined);
      if (c.measureMemory) {
        memory = {
          ours: c.ours ? await oursPeakBytes(engine, c.ours) : undefined,
          tfjs: c.tfjs ? await tfjsPeakBytes(tfBackend, c.tfjs) : undefined,
        };
        for (const [i, v] of variants.entries()) if (v.side) variantPeaks[i] = await oursPeakBytes(engine, v.side);
      }
      if (c.measureMemory) console.info(`${c.id}: memory measured (${since()})`);
      // tfjs last: every other side is timed against it.
      const { timings, ratios } = await timeSides([c.ours, ...variants.map((v) => v.side), c.tfjs], plan);
      const recordSteps = plan.recordSteps ?? 5;
      const recording = c.ours && recordSteps > 0 ? await measureRecording(engine.gpu, c.ours, recordSteps) : undefined;
      if (recording) console.info(`${c.id}: recording measured (${since()})`);
      const profile = c.ours ? await profileStep(engine.gpu, () => c.ours!.step()) : undefined;
      const errors = engine.gpu.takeErrors();
      if (errors.length) throw new Error(`WebGPU validation errors in ${c.id}: ${errors.join('; ')}`);
      const last = timings.length - 1;
      const ratioOf = (k: number) => (ratios[k].length ? median(ratios[k]) : NaN);
      return {
        id: c.id,
        label: c.label,
        flops: c.flops,
        ours: timings[0],
        tfjs: timings[last],
        skipped: c.skipped,
        ratio: ratioOf(0),
        ratios: ratios[0],
        check,
        memory,
        items: c.items,
        recording,
        profile,
        variants: variants.length
          ? variants.map((v, i) => ({
              name: v.name,
              timing: timings[i + 1],
              skipped: v.skipped,
              ratio: ratioOf(i + 1),
              ratios: ratios[i + 1],
              peakBytes: variantPeaks[i],
            }))
          : undefined,
      };
    } finally {
      c.dispose();
      engine.gpu.submit();
      engine.gpu.pool.trim();
    }
  },
};

window.bench = api;
