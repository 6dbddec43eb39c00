// Activation checkpointing (torch.utils.checkpoint): trade compute for memory in backward.
import type { Engine } from './engine';
import type { OpDef } from './registry';
import { Tape, type TapeNode } from './tape';
import type { Tensor } from './tensor';

type T = Tensor<'f32'>;

/**
 * One checkpoint's log of the values its forward drew through `replayable` (dropout seeds):
 * recorded on the first run, handed back in the same order when backward re-runs it.
 */
interface Frame {
  replay: boolean;
  draws: unknown[];
  next: number;
}

const frames = new WeakMap<Engine, Frame[]>();

function stack(e: Engine): Frame[] {
  let s = frames.get(e);
  if (!s) frames.set(e, (s = []));
  return s;
}

/**
 * True while backward re-runs a checkpointed forward: ops with side effects (batch norm's
 * running statistics) must not apply them a second time.
 */
export function isRecomputing(e: Engine): boolean {
  return stack(e).some((f) => f.replay);
}

/**
 * A value a forward draws that must be the same when a checkpoint re-runs it (a dropout seed
 * from a step counter): computed by `draw` on the first run and replayed on re-runs. Outside
 * a checkpoint it is just draw().
 */
export function replayable<V>(e: Engine, draw: () => V): V {
  const s = stack(e);
  // The outermost re-run's log holds every draw of its first run, nested checkpoints' included.
  const source = s.find((f) => f.replay);
  let v: V;
  if (source) {
    if (source.next >= source.draws.length) throw new Error('checkpoint: the re-run forward drew more values than its first run');
    v = source.draws[source.next++] as V;
  } else {
    v = draw();
  }
  for (const f of s) if (!f.replay) f.draws.push(v);
  return v;
}

/**
 * Stands in for the tape while a checkpointed function first runs: it keeps no node (so the
 * function's intermediates are freed when it returns) and only notes which tensors from
 * outside the function need a gradient (parameters, captured activations).
 */
class LeafFinder extends Tape {
  readonly produced = new Set<Tensor>();
  readonly leaves = new Set<Tensor>();

  record(node: TapeNode): void {
    for (const t of node.inputs) if (t.requiresGrad && !this.produced.has(t)) this.leaves.add(t);
    this.produced.add(node.output);
    for (const s of node.saved) if (s !== node.output) s.dispose();
  }
}

interface CheckpointAttrs {
  fn: (...xs: Tensor[]) => T;
  /** node.inputs = the explicit inputs, then the outside tensors fn reads that need a gradient */
  explicit: number;
  draws: unknown[];
}

const checkpointOp: OpDef<CheckpointAttrs> = {
  name: 'checkpoint',
  differentiable: [],
  forward() {
    throw new Error('checkpoint nodes are recorded by checkpoint(), never applied');
  },
  backward(e, node, gOut, needs) {
    const { fn, explicit, draws } = node.attrs;
    const inputs = node.inputs.slice(0, explicit);
    const outside = new Set(node.inputs);
    return e.scope(() => {
      const tape = new Tape(e);
      const s = stack(e);
      s.push({ replay: true, draws, next: 0 });
      let y: T;
      try {
        y = e.withTape(tape, () => fn(...inputs));
      } finally {
        s.pop();
      }
      if (y.shape.join() !== node.output.shape.join())
        throw new Error(`checkpoint: the re-run forward returned [${y.shape}], the first run [${node.output.shape}]`);
      // The re-run's intermediates are this scope's alone: free each as soon as backward is past it.
      const grads = tape.backward(y, gOut, { setLeafGrads: false, releaseOutputs: true, keep: outside });
      return node.inputs.map((t, k) => (needs[k] ? (grads.get(t) ?? null) : null));
    });
  },
  reference() {
    throw new Error('checkpoint has no reference of its own: it is checked against the same function on a plain tape');
  },
};

/**
 * fn(...inputs) without keeping its intermediates for backward: the tape records one node,
 * whose backward re-runs fn under a tape of its own and back-propagates through it, giving
 * the gradients of the inputs and of every outside tensor fn uses (its parameters). fn must
 * compute the same thing when run again: batch norm skips its running-statistics update on
 * the re-run (isRecomputing) and random draws go through `replayable`. Checkpoints nest: an
 * inner one keeps only its own inputs while the outer one is re-run. Without a recording tape
 * it is fn(...inputs) in a scope of its own (intermediates freed on return).
 */
export function checkpoint<I extends Tensor[]>(fn: (...xs: I) => T, inputs: [...I]): T {
  if (!inputs.length) throw new Error('checkpoint: needs at least one input');
  const e = inputs[0].engine;
  const outer = e.tape;
  if (!outer) return e.scope(() => fn(...(inputs as I)));
  const finder = new LeafFinder(e);
  const frame: Frame = { replay: false, draws: [], next: 0 };
  const s = stack(e);
  s.push(frame);
  let out: T;
  try {
    out = e.scope(() => e.withTape(finder, () => fn(...(inputs as I))));
  } finally {
    s.splice(s.lastIndexOf(frame), 1);
  }
  const explicit = new Set(inputs);
  const captured = [...finder.leaves].filter((t) => !explicit.has(t));
  const needsGrad = inputs.some((t) => t.requiresGrad) || captured.length > 0;
  if (!needsGrad || !out.requiresGrad) return out;
  // The node's output must be a tensor of its own (fn may return an input unchanged).
  const y = finder.produced.has(out) ? out : (e.view(out, out.shape, true) as T);
  y.requiresGrad = true;
  outer.record({
    op: checkpointOp,
    inputs: [...inputs, ...captured],
    output: y,
    attrs: { fn: fn as (...xs: Tensor[]) => T, explicit: inputs.length, draws: frame.draws },
    saved: [],
    recomputes: true,
  });
  return y;
}
