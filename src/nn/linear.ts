import type { Engine } from '../tensor/engine';
import type { Activation } from '../tensor/kernels';
import { matmul } from '../tensor/ops/matmul';
import type { Tensor } from '../tensor/tensor';
import { heUniform } from './init';
import { Module } from './module';

/** Transposes a row-major [rows, cols] matrix. */
export function transpose2d(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

/**
 * y = act(x · Wᵀ + b), W stored [out, in] as torch.nn.Linear; one fused matmul kernel.
 * The initial weights are He-uniform draws in [in, out] order, transposed, so a seed gives
 * the same function as before the PyTorch layout.
 */
export class Linear extends Module {
  readonly weight: Tensor<'f32'>;
  readonly bias: Tensor<'f32'> | null;

  constructor(
    engine: Engine,
    readonly inFeatures: number,
    readonly outFeatures: number,
    readonly activation: Activation,
    rand: () => number,
    opts: { bias?: boolean } = {},
  ) {
    super(engine);
    const w = transpose2d(heUniform(inFeatures, outFeatures, rand), inFeatures, outFeatures);
    this.weight = this.parameter('weight', w, [outFeatures, inFeatures]);
    this.bias =
      opts.bias === false ? this.registerParameter('bias', null) : this.parameter('bias', new Float32Array(outFeatures), [outFeatures]);
  }

  /** x: [rows, in] → [rows, out]. */
  forward(x: Tensor<'f32'>): Tensor<'f32'> {
    return matmul(x, this.weight, { activation: this.activation, transB: true }, this.bias ?? undefined);
  }

  /** Overwrites the weight from values laid out [in, out] (init helpers draw in that order). */
  setWeightInOut(values: Float32Array): void {
    this.engine.gpu.write(this.weight.buffer, transpose2d(values, this.inFeatures, this.outFeatures));
  }
}
