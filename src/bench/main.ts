import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone has no gradient functions; the full @tensorflow/tfjs bundle imports these.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { createGpuContext } from '../gpu/context';
import { Engine } from '../tensor/engine';
import { prepareMatmul } from './cases/matmul';
import { prepareMlp } from './cases/mlp';
import type { BenchContext, PreparedCase } from './context';
import { median, timePair } from './timing';
import type { BenchApi, CaseSpec, PageInfo } from './types';

let context: BenchContext | null = null;

async function init(): Promise<PageInfo> {
  const gpu = await createGpuContext(navigator.gpu);
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
  };
}

async function prepare(ctx: BenchContext, spec: CaseSpec): Promise<PreparedCase> {
  switch (spec.kind) {
    case 'matmul':
      return prepareMatmul(ctx, spec.n);
    case 'mlp':
      return prepareMlp(ctx, spec.batch, spec.widths);
  }
}

const api: BenchApi = {
  init,
  async run(spec, plan) {
    if (!context) throw new Error('call bench.init() first');
    const c = await prepare(context, spec);
    try {
      const check = await c.check();
      const { a: ours, b: tfjs, ratios } = await timePair(c.ours, c.tfjs, plan);
      const errors = context.engine.gpu.takeErrors();
      if (errors.length) throw new Error(`WebGPU validation errors in ${c.id}: ${errors.join('; ')}`);
      return { id: c.id, label: c.label, flops: c.flops, ours, tfjs, ratio: median(ratios), ratios, check };
    } finally {
      c.dispose();
      context.engine.gpu.submit();
      context.engine.gpu.pool.trim();
    }
  },
};

window.bench = api;
