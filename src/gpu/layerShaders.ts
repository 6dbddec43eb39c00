// WGSL kernels of the torch-compatible layers (batch norm, dropout, bilinear resampling,
// transposed convolution), imported as text. Spread into SHADERS by src/gpu/shaders.ts.
import type { KernelSource } from './pipelineCache';
import batchnorm from '../../shaders/batchnorm.wgsl?raw';
import dropout from '../../shaders/dropout.wgsl?raw';
import bilinear from '../../shaders/bilinear.wgsl?raw';
import convTranspose from '../../shaders/conv_transpose.wgsl?raw';
import maskedBatchnorm from '../../shaders/masked_batchnorm.wgsl?raw';

const k = (name: string, code: string): KernelSource => ({ name, code });

export const LAYER_SHADERS = {
  batchnorm: k('batchnorm.wgsl', batchnorm),
  dropout: k('dropout.wgsl', dropout),
  bilinear: k('bilinear.wgsl', bilinear),
  convTranspose: k('conv_transpose.wgsl', convTranspose),
  maskedBatchnorm: k('masked_batchnorm.wgsl', maskedBatchnorm),
} satisfies Record<string, KernelSource>;
