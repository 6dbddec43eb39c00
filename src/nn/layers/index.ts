// torch-compatible layers: same parameter and buffer names, layouts and semantics as torch.nn.
export { Conv2d, ConvTranspose2d, type ConvOptions } from './conv';
export { BatchNorm1d, BatchNorm2d, type BatchNormOptions } from './batchnorm';
export { Dropout } from './dropout';
export { Upsample, type UpsampleOptions } from './upsample';
export { ReLU, LeakyReLU } from './activation';
export { LayerNorm, type LayerNormOptions } from './layerNorm';
export { MultiheadAttention, type MultiheadAttentionOptions, type AttentionCall } from './attention';
export { TransformerEncoderLayer, type TransformerEncoderLayerOptions, type EncoderCall } from './transformer';
