// The image ops of the U-ResNet, re-exported as one group for src/tensor/index.ts.
export * from './conv2d';
export * from './norm';
export * from './pool';
export * from './upsample';
export * from './concat';
