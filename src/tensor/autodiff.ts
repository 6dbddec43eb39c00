// Functional autodiff on top of the tape: detach (stop-gradient) and valueAndGrad.
import type { Tensor } from './tensor';

type T = Tensor<'f32'>;

/**
 * The same values as x, cut from the tape: shares x's buffer (no copy, no kernel), is never
 * recorded, and no gradient flows back through it (torch's x.detach()). Disposing it does
 * not free x.
 */
export function detach<D extends Tensor>(x: D): D {
  return x.engine.view(x, x.shape, true) as D;
}

export interface ValueAndGrad {
  /** fn's scalar output, cut from the tape (a plain tensor). */
  value: T;
  /** d value / d inputs[i], one tensor each, in the inputs' shapes; zeros for an unused input. */
  grads: T[];
}

/**
 * Runs fn(...inputs) on a fresh tape and returns its scalar value and its gradient with
 * respect to each input. Everything fn creates except the value is freed; the tape is ended
 * even when fn throws. The inputs' requiresGrad and every leaf's .grad are left as they were
 * (the gradients are returned, not stored on tensors), so this is safe next to a Trainer's
 * parameters. Not nestable: it needs no tape to be recording (no higher-order gradients).
 */
export function valueAndGrad(fn: (...inputs: T[]) => Tensor, inputs: readonly T[]): ValueAndGrad {
  if (inputs.length === 0) throw new Error('valueAndGrad: needs at least one input');
  const e = inputs[0].engine;
  const wasRequired = inputs.map((t) => t.requiresGrad);
  for (const t of inputs) {
    if (t.dtype !== 'f32') throw new Error(`valueAndGrad: input ${t} is not f32`);
    t.requiresGrad = true;
  }
  const tape = e.beginTape();
  try {
    return e.scope(() => {
      const value = fn(...inputs) as T;
      if (value.size !== 1) throw new Error(`valueAndGrad: fn must return a scalar, got shape [${value.shape}]`);
      // Leaves whose .grad backward will overwrite: every recorded input that no op produced.
      const leaves = new Map<Tensor, T | null>();
      for (const node of tape.nodes) for (const t of node.inputs) if (!t.node) leaves.set(t, t.grad);
      for (const t of inputs) leaves.set(t, t.grad);
      const all = tape.backward(value);
      for (const [t, g] of leaves) t.grad = g;
      const returned = new Set<Tensor>();
      const grads = inputs.map((t) => {
        const g = all.get(t);
        if (!g) return e.zeros(t.shape);
        // One gradient tensor may be held for two inputs (an op passing dy through to both):
        // give each input its own handle so disposing one leaves the other valid.
        const own = returned.has(g) ? e.view(g, g.shape, true) : g;
        returned.add(g);
        return own as T;
      });
      value.node = null;
      value.requiresGrad = false;
      return { value, grads };
    });
  } finally {
    e.endTape();
    inputs.forEach((t, i) => (t.requiresGrad = wasRequired[i]));
  }
}
