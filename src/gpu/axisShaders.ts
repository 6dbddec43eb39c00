// WGSL of the general op basis along arbitrary axes (reductions, strided copies, gather /
// scatter, softmax), spread into SHADERS by src/gpu/shaders.ts.
import type { KernelSource } from './pipelineCache';
import reduceAxes from '../../shaders/reduce_axes.wgsl?raw';
import strided from '../../shaders/strided.wgsl?raw';
import gather from '../../shaders/gather.wgsl?raw';
import softmaxAxis from '../../shaders/softmax_axis.wgsl?raw';

const k = (name: string, code: string): KernelSource => ({ name, code });

export const AXIS_SHADERS = {
  reduceAxes: k('reduce_axes.wgsl', reduceAxes),
  strided: k('strided.wgsl', strided),
  gather: k('gather.wgsl', gather),
  softmaxAxis: k('softmax_axis.wgsl', softmaxAxis),
} satisfies Record<string, KernelSource>;
