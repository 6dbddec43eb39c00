// WGSL kernels of the object condensation loss and the clustering task, imported as text. Spread into SHADERS by
// src/gpu/shaders.ts; oc_common.wgsl is prepended to the others by ./kernels.ts.
import type { KernelSource } from '../../gpu/pipelineCache';
import ocCommon from '../../../shaders/oc_common.wgsl?raw';
import ocLoss from '../../../shaders/oc_loss.wgsl?raw';
import ocRepulsive from '../../../shaders/oc_repulsive.wgsl?raw';
import ocDense from '../../../shaders/oc_dense.wgsl?raw';
import ocNeighbours from '../../../shaders/oc_neighbours.wgsl?raw';

const k = (name: string, code: string): KernelSource => ({ name, code });

export const OC_SHADERS = {
  ocCommon: k('oc_common.wgsl', ocCommon),
  ocLoss: k('oc_loss.wgsl', ocLoss),
  ocRepulsive: k('oc_repulsive.wgsl', ocRepulsive),
  ocDense: k('oc_dense.wgsl', ocDense),
  // the clustering task's message-passing layer (src/tasks/clustering/neighbours.ts)
  ocNeighbours: k('oc_neighbours.wgsl', ocNeighbours),
} satisfies Record<string, KernelSource>;
