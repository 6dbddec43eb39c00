// Ops of the SPANet-style model, re-exported as one module for src/tensor/index.ts.
export * from './softmax';
export * from './layernorm';
export * from './attention';
export * from './symmetric';
export * from './rows';
export * from './assignment';
