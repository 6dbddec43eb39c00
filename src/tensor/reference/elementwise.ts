// f64 references of the elementwise kernels (same GELU tanh approximation as the WGSL).
import type { RefTensor } from '../registry';

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

export const UNARY_REF: Record<string, (x: number, alpha: number) => number> = {
  relu: (x) => Math.max(x, 0),
  gelu: (x) => 0.5 * x * (1 + Math.tanh(GELU_C * (x + GELU_A * x ** 3))),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: (x) => Math.tanh(x),
  log: (x) => Math.log(x),
  exp: (x) => Math.exp(x),
  scale: (x, alpha) => alpha * x,
  none: (x) => x,
};

export function unaryRef(kind: string, x: RefTensor, alpha = 1): RefTensor {
  const f = UNARY_REF[kind];
  return { data: x.data.map((v) => f(v, alpha)), shape: [...x.shape] };
}

export function binaryRef(kind: 'add' | 'sub' | 'mul', a: RefTensor, b: RefTensor): RefTensor {
  const f = kind === 'add' ? (x: number, y: number) => x + y : kind === 'sub' ? (x: number, y: number) => x - y : (x: number, y: number) => x * y;
  return { data: a.data.map((v, i) => f(v, b.data[i])), shape: [...a.shape] };
}

export function biasAddRef(x: RefTensor, bias: RefTensor): RefTensor {
  const n = bias.data.length;
  return { data: x.data.map((v, i) => v + bias.data[i % n]), shape: [...x.shape] };
}
