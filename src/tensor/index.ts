// Public surface of the tensor runtime.
export { Engine } from './engine';
export { Tensor, type DType } from './tensor';
export { Tape } from './tape';
export { registeredOps, getOp, type OpDef, type RefTensor } from './registry';
export * from './ops/elementwise';
export * from './ops/matmul';
export * from './ops/reduce';
export * from './ops/losses';
export * from './ops/reshape';
export * from './ops/segment';
export * from './ops/image';
export * from './ops/spanet';
export * from './ops/reduceAxes';
export * from './ops/shape';
export * from './ops/gather';
export * from './ops/softmaxAxis';
export * from './ops/attention4d';
export * from './ops/attentionHeads';
