// torch-compatible layers: same parameter and buffer names, layouts and semantics as torch.nn.
export { Conv2d, ConvTranspose2d, type ConvOptions } from './conv';
export { BatchNorm1d, BatchNorm2d, type BatchNormOptions } from './batchnorm';
export { Dropout } from './dropout';
export { Upsample, type UpsampleOptions } from './upsample';
export { ReLU, LeakyReLU } from './activation';
