/**
 * Launchers for the object condensation kernels. oc_common.wgsl (params, layout accessors,
 * charge, pair sampler) is prepended to each OC shader file.
 */
import type { GpuContext, Uniform } from '../../gpu/context';
import type { KernelSource } from '../../gpu/pipelineCache';
import { SHADERS } from '../../gpu/shaders';
import type { OcLayout } from './layout';

const withCommon = (s: KernelSource): KernelSource => ({ name: s.name, code: `${SHADERS.ocCommon.code}\n${s.code}` });

export const OC_KERNELS = {
  loss: withCommon(SHADERS.ocLoss),
  repulsive: withCommon(SHADERS.ocRepulsive),
  dense: withCommon(SHADERS.ocDense),
};

/** Flag bits of oc_common.wgsl. */
export const OC_FLAGS = { weights: 1, attractive: 2, sample: 4, repPerHit: 8 } as const;

/** Latent dimensions the fused kernels keep in registers and workgroup tiles. */
export const OC_MAX_FUSED_DIMS = 32;

export interface OcParams {
  layout: OcLayout;
  d: number;
  qMin: number;
  flags: number;
  seed?: number;
  maxNRep?: number;
  chunk?: number;
  chunks?: number;
}

export function ocUniforms(p: OcParams): Uniform[] {
  const h = p.layout.host;
  const o = p.layout.offsets;
  return [
    ['u32', h.n],
    ['u32', p.d],
    ['u32', h.k],
    ['u32', h.e],
    ['f32', p.qMin],
    ['u32', p.flags],
    ['u32', p.seed ?? 0],
    ['u32', p.maxNRep ?? 0],
    ['u32', p.chunk ?? 0],
    ['u32', p.chunks ?? 0],
    ['u32', h.eventsWithNoise],
    ['u32', 0],
    ['u32', o.hitObj],
    ['u32', o.hitEvent],
    ['u32', o.eventHits],
    ['u32', o.eventObjs],
    ['u32', o.objOffsets],
    ['u32', o.members],
    ['u32', o.fallback],
    ['u32', o.eventNoise],
  ];
}

/** Splits each event's hits into chunks so the condensation-point backward has enough threads. */
export function pointChunks(layout: OcLayout): { chunk: number; chunks: number } {
  const h = layout.host;
  let maxHits = 1;
  for (let e = 0; e < h.e; e++) maxHits = Math.max(maxHits, h.eventHits[e + 1] - h.eventHits[e]);
  const chunks = Math.max(1, Math.min(Math.ceil(16384 / Math.max(1, h.k)), Math.ceil(maxHits / 256), 65535));
  return { chunk: Math.ceil(maxHits / chunks), chunks };
}

export function denseFits(g: GpuContext, layout: OcLayout): boolean {
  return layout.host.n * layout.host.k * 4 <= Math.min(g.device.limits.maxBufferSize, g.device.limits.maxStorageBufferBindingSize);
}
