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
    if (!seed && output.size !== 1) {
      throw new Error(`backward needs a scalar or an explicit seed, got shape [${output.shape}]`);
    }
    const grads = new Map<Tensor, Tensor<'f32'>>();
    // How many entries of `grads` hold each gradient tensor (an op may pass dy through as
    // the gradient of an input): a gradient is freed once no entry holds it.
    const holders = new Map<Tensor, number>();
    const hold = (t: Tensor, g: Tensor<'f32'>) => {
      grads.set(t, g);
      holders.set(g, (holders.get(g) ?? 0) + 1);
    };
    const drop = (t: Tensor) => {
      const g = grads.get(t)!;
      grads.delete(t);
      const n = holders.get(g)! - 1;
      holders.set(g, n);
      if (n === 0 && g !== seed) g.dispose();
    };
    hold(output, seed ?? e.full(output.shape, 1));
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i];
      const gOut = grads.get(node.output);
      if (!gOut) continue;
      const needs = node.inputs.map((t) => t.requiresGrad);
      if (needs.some(Boolean)) {
        const gIns = node.op.backward(e, node, gOut, needs);
        node.inputs.forEach((input, k) => {
          const g = gIns[k];
          if (!g || !needs[k]) return;
          if (!grads.has(input)) return hold(input, g);
          const sum = e.addInto(grads.get(input)!, g);
          drop(input);
          if (!holders.get(g)) g.dispose();
          hold(input, sum);
        });
      }
      // Every consumer of node.output comes later on the tape, so its gradient is complete
      // and no longer needed: freeing it lets the pool reuse the memory for the rest of backward.
      drop(node.output);
    }
    for (const [t, g] of grads) if (t.requiresGrad && !t.node) t.grad = g;
    return grads;
  }
}
