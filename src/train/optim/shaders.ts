// The optimisers' WGSL kernels, imported as text (kept beside the optimisers rather than in
// src/gpu/shaders.ts so the training code owns them).
import type { KernelSource } from '../../gpu/pipelineCache';
import optimGuard from '../../../shaders/optim_guard.wgsl?raw';
import optimUpdate from '../../../shaders/optim_update.wgsl?raw';

const k = (name: string, code: string): KernelSource => ({ name, code });

export const OPTIM_SHADERS = {
  optimGuard: k('optim_guard.wgsl', optimGuard),
  optimUpdate: k('optim_update.wgsl', optimUpdate),
} satisfies Record<string, KernelSource>;
