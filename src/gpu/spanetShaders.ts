// WGSL of the SPANet-style model (attention, layer norm, masked softmax, symmetric tensor
// attention, assignment loss), spread into SHADERS by src/gpu/shaders.ts.
import type { KernelSource } from './pipelineCache';
import maskedSoftmax from '../../shaders/masked_softmax.wgsl?raw';
import layerNorm from '../../shaders/layernorm.wgsl?raw';
import attention from '../../shaders/attention.wgsl?raw';
import symmetricTensor from '../../shaders/symmetric_tensor.wgsl?raw';
import assignmentLoss from '../../shaders/assignment_loss.wgsl?raw';

const k = (name: string, code: string): KernelSource => ({ name, code });

export const SPANET_SHADERS = {
  maskedSoftmax: k('masked_softmax.wgsl', maskedSoftmax),
  layerNorm: k('layernorm.wgsl', layerNorm),
  attention: k('attention.wgsl', attention),
  symmetricTensor: k('symmetric_tensor.wgsl', symmetricTensor),
  assignmentLoss: k('assignment_loss.wgsl', assignmentLoss),
} satisfies Record<string, KernelSource>;
