import type { Engine } from './engine';
import type { OpDef } from './registry';
import type { Tensor } from './tensor';

export interface TapeNode {
  op: OpDef;
  inputs: Tensor[];
  output: Tensor;
  attrs: unknown;
  saved: Tensor[];
}

/**
 * Define-by-run record of the ops applied while it is active. Recording order is a
 * topological order, so backward simply walks the nodes in reverse.
 */
export class Tape {
  readonly nodes: TapeNode[] = [];

  constructor(private engine: Engine) {}

  record(node: TapeNode): void {
    this.nodes.push(node);
    node.output.node = node;
  }

  /**
   * Propagates d(output)/d(·) from `output` (a scalar unless `seed` is given) to every
   * tensor that requires a gradient, sets their `.grad`, and returns all gradients.
   */
  backward(output: Tensor, seed?: Tensor<'f32'>): Map<Tensor, Tensor<'f32'>> {
    const e = this.engine;
    const grads = new Map<Tensor, Tensor<'f32'>>();
    if (!seed && output.size !== 1) {
      throw new Error(`backward needs a scalar or an explicit seed, got shape [${output.shape}]`);
    }
    grads.set(output, seed ?? e.full(output.shape, 1));
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i];
      const gOut = grads.get(node.output);
      if (!gOut) continue;
      const needs = node.inputs.map((t) => t.requiresGrad);
      if (!needs.some(Boolean)) continue;
      const gIns = node.op.backward(e, node, gOut, needs);
      node.inputs.forEach((input, k) => {
        const g = gIns[k];
        if (!g || !needs[k]) return;
        const prev = grads.get(input);
        grads.set(input, prev ? e.addInto(prev, g) : g);
      });
    }
    for (const [t, g] of grads) if (t.requiresGrad && !t.node) t.grad = g;
    return grads;
  }
}
