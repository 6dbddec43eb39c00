import type { Engine } from './engine';
import type { TapeNode } from './tape';

export type DType = 'f32' | 'i32' | 'u32';
export type TypedArrayFor<D extends DType> = D extends 'f32' ? Float32Array : D extends 'i32' ? Int32Array : Uint32Array;

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A GPU buffer shared by a tensor and its reshaped views; freed with its last user. */
export class Storage {
  refs = 1;
  constructor(
    readonly buffer: GPUBuffer,
    readonly bytes: number,
  ) {}
}

let nextId = 1;

/** A dense, row-major GPU array. Create through an Engine; free with dispose() or a scope. */
export class Tensor<D extends DType = DType> {
  readonly id = nextId++;
  readonly size: number;
  /** Gradient filled in by Tape.backward for tensors that require it. */
  grad: Tensor<'f32'> | null = null;
  /** The tape entry that produced this tensor, if it was recorded. */
  node: TapeNode | null = null;
  private disposed = false;

  constructor(
    readonly engine: Engine,
    readonly storage: Storage,
    readonly shape: readonly number[],
    readonly dtype: D,
    public requiresGrad = false,
  ) {
    this.size = sizeOf(shape);
  }

  get buffer(): GPUBuffer {
    if (this.disposed) throw new Error(`tensor #${this.id} [${this.shape}] was used after dispose`);
    return this.storage.buffer;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  get rank(): number {
    return this.shape.length;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (--this.storage.refs === 0) this.engine.gpu.release(this.storage.buffer);
  }

  /** Excludes this tensor from the enclosing scope's clean-up. */
  keep(): this {
    this.engine.untrack(this);
    return this;
  }

  async read(): Promise<TypedArrayFor<D>> {
    const bytes = await this.engine.gpu.read(this.buffer, this.size * 4);
    const C = this.dtype === 'f32' ? Float32Array : this.dtype === 'i32' ? Int32Array : Uint32Array;
    return new C(bytes) as TypedArrayFor<D>;
  }

  /** The scalar value of a one-element tensor (a readback: avoid inside a training loop). */
  async item(): Promise<number> {
    return (await this.read())[0];
  }

  toString(): string {
    return `Tensor#${this.id}<${this.dtype}>[${this.shape.join(',')}]`;
  }
}
