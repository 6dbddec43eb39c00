// WGSL kernels of the image models (U-ResNet for cosmic tagging), imported as text. Spread
// into SHADERS by src/gpu/shaders.ts so this family can grow without touching that registry.
import type { KernelSource } from './pipelineCache';
import conv2d from '../../shaders/conv2d.wgsl?raw';
import norm from '../../shaders/norm.wgsl?raw';
import pool from '../../shaders/pool.wgsl?raw';
import upsample from '../../shaders/upsample.wgsl?raw';
import concat from '../../shaders/concat.wgsl?raw';
import segXent from '../../shaders/seg_xent.wgsl?raw';
import segMetrics from '../../shaders/seg_metrics.wgsl?raw';
import densifyPlanes from '../../shaders/densify_planes.wgsl?raw';

const k = (name: string, code: string): KernelSource => ({ name, code });

export const IMAGE_SHADERS = {
  conv2d: k('conv2d.wgsl', conv2d),
  norm: k('norm.wgsl', norm),
  pool: k('pool.wgsl', pool),
  upsample: k('upsample.wgsl', upsample),
  concat: k('concat.wgsl', concat),
  segXent: k('seg_xent.wgsl', segXent),
  segMetrics: k('seg_metrics.wgsl', segMetrics),
  densifyPlanes: k('densify_planes.wgsl', densifyPlanes),
} satisfies Record<string, KernelSource>;
