/**
 * ONNX spellings of the engine's layers, for exporters: a dense layer (Gemm) and the
 * activations of src/tensor/kernels.ts with the same formulas (GELU is the tanh
 * approximation the WGSL kernels use; opset 17 has no Gelu op, so it is composed).
 */
import { attr, type OnnxGraphBuilder } from './graph';

export type OnnxActivation = 'none' | 'relu' | 'gelu' | 'sigmoid' | 'tanh';

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

export function addActivation(b: OnnxGraphBuilder, x: string, act: OnnxActivation): string {
  switch (act) {
    case 'none':
      return x;
    case 'relu':
      return b.node('Relu', [x]);
    case 'sigmoid':
      return b.node('Sigmoid', [x]);
    case 'tanh':
      return b.node('Tanh', [x]);
    case 'gelu': {
      // 0.5·x·(1 + tanh(c·(x + a·x³)))
      const x3 = b.node('Mul', [b.node('Mul', [x, x]), x]);
      const inner = b.node('Mul', [
        b.node('Add', [x, b.node('Mul', [x3, b.floats('gelu_a', [GELU_A], [])])]),
        b.floats('gelu_c', [GELU_C], []),
      ]);
      const onePlus = b.node('Add', [b.node('Tanh', [inner]), b.floats('one', [1], [])]);
      return b.node('Mul', [b.node('Mul', [x, onePlus]), b.floats('half', [0.5], [])]);
    }
  }
}

/** y = act(x · Wᵀ + bias) for x [rows, in], W stored [out, in] as torch's and the engine's Linear. */
export function addDense(
  b: OnnxGraphBuilder,
  x: string,
  name: string,
  weight: { shape: number[]; data: Float32Array },
  bias: { shape: number[]; data: Float32Array },
  act: OnnxActivation,
): string {
  const w = b.floats(`${name}.weight`, weight.data, weight.shape);
  const c = b.floats(`${name}.bias`, bias.data, bias.shape);
  return addActivation(b, b.node('Gemm', [x, w, c], { alpha: attr.float(1), beta: attr.float(1), transB: attr.int(1) }, name), act);
}
