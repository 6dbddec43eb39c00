import type { Engine } from './engine';
import type { TapeNode } from './tape';
import type { Tensor } from './tensor';

/** A plain f64 array with a shape, used by the TypeScript references of every op. */
export interface RefTensor {
  data: Float64Array;
  shape: number[];
}

/**
 * One differentiable op: a forward WGSL kernel, a backward WGSL kernel (launched from
 * `backward`) and a plain TypeScript reference the tests compare both against.
 */
export interface OpDef<A = any> {
  name: string;
  /** Which inputs can carry gradients (integer labels cannot). */
  differentiable: boolean[];
  forward(e: Engine, inputs: Tensor[], attrs: A): { output: Tensor; saved?: Tensor[] };
  backward(e: Engine, node: TapeNode & { attrs: A }, gradOut: Tensor<'f32'>, needs: boolean[]): (Tensor<'f32'> | null)[];
  reference(inputs: RefTensor[], attrs: A): RefTensor;
}

const registry = new Map<string, OpDef>();

export function registerOp<A>(op: OpDef<A>): OpDef<A> {
  if (registry.has(op.name)) throw new Error(`op ${op.name} registered twice`);
  registry.set(op.name, op as OpDef);
  return op;
}

export function getOp(name: string): OpDef {
  const op = registry.get(name);
  if (!op) throw new Error(`unknown op ${name}`);
  return op;
}

export function registeredOps(): string[] {
  return [...registry.keys()].sort();
}
