import type { KernelSource } from '../../gpu/pipelineCache';
import { variantName, type MatmulVariant } from './variant';
import { matmulWgsl } from './wgsl';

/** Generated sources by variant name: the pipeline cache compiles each once per device. */
const sources = new Map<string, KernelSource>();

export function matmulKernel(v: MatmulVariant): KernelSource {
  const name = variantName(v);
  let src = sources.get(name);
  if (!src) {
    src = { name, code: matmulWgsl(v) };
    sources.set(name, src);
  }
  return src;
}
