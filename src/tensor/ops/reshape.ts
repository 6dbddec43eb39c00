import { registerOp } from '../registry';
import type { Tensor } from '../tensor';

interface ReshapeAttrs {
  shape: number[];
}

/**
 * A differentiable reshape. It launches no kernel (the output shares the input's buffer),
 * but it is recorded so gradients flow through it; Engine.view would cut the chain.
 */
export const reshapeOp = registerOp<ReshapeAttrs>({
  name: 'reshape',
  differentiable: [true],
  forward(e, [x], { shape }) {
    return { output: e.view(x, shape, true) };
  },
  backward(e, node, dy) {
    return [e.view(dy, node.inputs[0].shape, true)];
  },
  reference: ([x], { shape }) => ({ data: Float64Array.from(x.data), shape: [...shape] }),
});

export function reshape<T extends Tensor>(x: T, shape: readonly number[]): T {
  const n = x.size;
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const full = shape.map((d) => (d === -1 ? n / known : d));
  return x.engine.apply(reshapeOp, [x], { shape: full }) as T;
}
