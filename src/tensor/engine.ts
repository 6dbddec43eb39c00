import type { GpuContext } from '../gpu/context';
import { launchBinary, launchFill } from './kernels';
import type { OpDef } from './registry';
import { Tape } from './tape';
import { Storage, Tensor, sizeOf, type DType } from './tensor';

type Data = Float32Array | Int32Array | Uint32Array | number[];

/**
 * Creates tensors, owns the active tape and the stack of clean-up scopes. Every tensor made
 * inside `scope(fn)` is disposed when fn returns, except the tensors fn returns or keeps.
 */
export class Engine {
  private scopes: Set<Tensor>[] = [];
  private activeTape: Tape | null = null;

  constructor(readonly gpu: GpuContext) {}

  // ---- creation ---------------------------------------------------------------------
  empty<D extends DType = 'f32'>(shape: readonly number[], dtype: D = 'f32' as D, requiresGrad = false, forUpload = false): Tensor<D> {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new Error(`bad shape [${shape}]`);
    }
    const bytes = Math.max(4, sizeOf(shape) * 4);
    const storage = new Storage(this.gpu.alloc(bytes, undefined, forUpload), bytes);
    const t = new Tensor(this, storage, [...shape], dtype, requiresGrad);
    this.track(t);
    return t;
  }

  fromArray<D extends DType = 'f32'>(data: Data, shape: readonly number[], opts: { dtype?: D; requiresGrad?: boolean } = {}): Tensor<D> {
    const dtype = (opts.dtype ?? 'f32') as D;
    if (data.length !== sizeOf(shape)) {
      throw new Error(`fromArray: ${data.length} values do not fill shape [${shape}]`);
    }
    const t = this.empty(shape, dtype, opts.requiresGrad ?? false, true);
    const C = dtype === 'f32' ? Float32Array : dtype === 'i32' ? Int32Array : Uint32Array;
    const arr = data instanceof C ? data : new C(data as ArrayLike<number>);
    if (arr.length) this.gpu.write(t.buffer, arr);
    return t;
  }

  /** A trainable parameter: never owned by a scope. */
  parameter(data: Float32Array, shape: readonly number[]): Tensor<'f32'> {
    return this.fromArray(data, shape, { requiresGrad: true }).keep();
  }

  full(shape: readonly number[], value: number): Tensor<'f32'> {
    const t = this.empty(shape);
    launchFill(this.gpu, t.buffer, t.size, value);
    return t;
  }

  zeros(shape: readonly number[]): Tensor<'f32'> {
    return this.full(shape, 0);
  }

  /**
   * A view of `t` with another shape of the same size; shares its buffer. Not recorded on
   * the tape: inside a training step use ops/reshape, which is.
   */
  view<D extends DType>(t: Tensor<D>, shape: readonly number[], fromOp = false): Tensor<D> {
    if (sizeOf(shape) !== t.size) throw new Error(`cannot view [${t.shape}] as [${shape}]`);
    if (!fromOp && this.activeTape && t.requiresGrad) {
      throw new Error('view() of a tensor that needs a gradient would cut the tape: use reshape()');
    }
    t.storage.refs++;
    const v = new Tensor(this, t.storage, [...shape], t.dtype, false);
    this.track(v);
    return v;
  }

  // ---- lifetime ---------------------------------------------------------------------
  track(t: Tensor): void {
    this.scopes[this.scopes.length - 1]?.add(t);
  }

  untrack(t: Tensor): void {
    for (const s of this.scopes) s.delete(t);
  }

  scope<T>(fn: () => T): T {
    const owned = new Set<Tensor>();
    this.scopes.push(owned);
    let result: T;
    try {
      result = fn();
    } finally {
      this.scopes.pop();
    }
    const survivors = new Set<Tensor>();
    collectTensors(result, survivors);
    for (const t of owned) {
      if (survivors.has(t)) this.track(t);
      else t.dispose();
    }
    return result;
  }

  // ---- autograd ---------------------------------------------------------------------
  /** Starts recording ops for backward; returns the tape. */
  beginTape(): Tape {
    if (this.activeTape) throw new Error('a tape is already recording');
    this.activeTape = new Tape(this);
    return this.activeTape;
  }

  endTape(): void {
    this.activeTape = null;
  }

  get tape(): Tape | null {
    return this.activeTape;
  }

  /**
   * Runs fn with `tape` recording (null: none) in place of the active tape, then restores it:
   * activation checkpointing (src/tensor/checkpoint.ts) re-runs a forward under its own tape
   * in the middle of another tape's backward.
   */
  withTape<T>(tape: Tape | null, fn: () => T): T {
    const outer = this.activeTape;
    this.activeTape = tape;
    try {
      return fn();
    } finally {
      this.activeTape = outer;
    }
  }

  /** Runs an op's forward kernel and records it when a gradient may flow through it. */
  apply<A>(op: OpDef<A>, inputs: Tensor[], attrs: A): Tensor {
    const { output, saved = [] } = op.forward(this, inputs, attrs);
    const tape = this.activeTape;
    const needsGrad = inputs.some((t, i) => op.differentiable[i] && t.requiresGrad);
    if (tape && needsGrad) {
      output.requiresGrad = true;
      tape.record({ op, inputs, output, attrs, saved });
    } else {
      for (const s of saved) if (s !== output) s.dispose();
    }
    return output;
  }

  /** a + b into a new tensor; used to accumulate gradients, never recorded. */
  addInto(a: Tensor<'f32'>, b: Tensor<'f32'>): Tensor<'f32'> {
    const out = this.empty(a.shape);
    launchBinary(this.gpu, 'add', a, b, out);
    return out;
  }
}

function collectTensors(x: unknown, into: Set<Tensor>, depth = 0): void {
  if (depth > 4 || x === null || typeof x !== 'object') return;
  if (x instanceof Tensor) {
    into.add(x);
    return;
  }
  const values = Array.isArray(x) ? x : x instanceof Map ? [...x.values()] : Object.values(x);
  for (const v of values) collectTensors(v, into, depth + 1);
}
