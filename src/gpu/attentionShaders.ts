// WGSL of general attention (softmax stage over [B, H, T, S] scores, head layout moves),
// spread into SHADERS by src/gpu/shaders.ts.
import type { KernelSource } from './pipelineCache';
import attention4d from '../../shaders/attention4d.wgsl?raw';
import attentionHeads from '../../shaders/attention_heads.wgsl?raw';
import attn4dSoftmaxRows from '../../shaders/attn4d_softmax_rows.wgsl?raw';

const k = (name: string, code: string): KernelSource => ({ name, code });

export const ATTENTION_SHADERS = {
  attention4d: k('attention4d.wgsl', attention4d),
  attentionHeads: k('attention_heads.wgsl', attentionHeads),
  attn4dSoftmaxRows: k('attn4d_softmax_rows.wgsl', attn4dSoftmaxRows),
} satisfies Record<string, KernelSource>;
