import type { Engine } from './engine';
import type { OpDef } from './registry';
import type { Tensor } from './tensor';

export interface TapeNode {
  op: OpDef;
  inputs: Tensor[];
  output: Tensor;
  attrs: unknown;
  saved: Tensor[];
  /** Its backward re-computes the output instead of reading it (a checkpoint). */
  recomputes?: boolean;
}

/**
 * Define-by-run record of the ops applied while it is active. Recording order is a
 * topological order, so backward simply walks the nodes in reverse.
 */
export class Tape {
  readonly nodes: TapeNode[] = [];
  private backwardDone = false;

  constructor(private engine: Engine) {}

  record(node: TapeNode): void {
    this.nodes.push(node);
    node.output.node = node;
  }

  /**
   * Propagates d(output)/d(·) from `output` (a scalar unless `seed` is given) to every
   * tensor that requires a gradient, sets their `.grad` (unless `setLeafGrads` is false), and
   * returns all gradients. Each node's saved tensors (op-private) are freed once its backward
   * has run. `releaseOutputs` also frees every recorded output once its gradient is used,
   * except those in `keep`: only for a tape whose intermediates nobody else holds (the
   * re-run forward of a checkpoint).
   */
  backward(
    output: Tensor,
    seed?: Tensor<'f32'>,
    opts: { setLeafGrads?: boolean; releaseOutputs?: boolean; keep?: ReadonlySet<Tensor> } = {},
  ): Map<Tensor, Tensor<'f32'>> {
    const e = this.engine;
    // As torch without retain_graph: the first backward frees what the ops saved.
    if (this.backwardDone) throw new Error('backward already ran on this tape (its saved tensors are freed): record the ops again');
    this.backwardDone = true;
    const release = (node: TapeNode) => {
      for (const s of node.saved) if (s !== node.output) s.dispose();
      node.saved = [];
      if (opts.releaseOutputs && !opts.keep?.has(node.output) && !node.inputs.includes(node.output)) node.output.dispose();
    };
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
      if (!gOut) {
        release(node);
        continue;
      }
      // Its consumers are done and a checkpoint's backward makes the output anew: free it first.
      if (node.recomputes && opts.releaseOutputs && !opts.keep?.has(node.output)) node.output.dispose();
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
      release(node);
    }
    if (opts.setLeafGrads ?? true) for (const [t, g] of grads) if (t.requiresGrad && !t.node) t.grad = g;
    return grads;
  }
}
