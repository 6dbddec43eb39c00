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
  const f =
    kind === 'add' ? (x: number, y: number) => x + y : kind === 'sub' ? (x: number, y: number) => x - y : (x: number, y: number) => x * y;
  return { data: a.data.map((v, i) => f(v, b.data[i])), shape: [...a.shape] };
}

export function biasAddRef(x: RefTensor, bias: RefTensor): RefTensor {
  const n = bias.data.length;
  return { data: x.data.map((v, i) => v + bias.data[i % n]), shape: [...x.shape] };
}

// ---- references of unary.wgsl (parametrised unary ops, scalar forms of binary ops) ---------

const SQRT_PI = Math.sqrt(Math.PI);

/** erf in f64: the all-positive series e^{-x²}·Σ 2ⁿx^{2n+1}/(2n+1)!! below 3 (no cancellation). */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200 && term > 1e-17 * sum; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
  }
  return (2 / SQRT_PI) * Math.exp(-x2) * sum;
}

/** erfc for x ≥ 3 from its continued fraction, evaluated bottom-up (80 levels: ~1e-16). */
function erfcFraction(x: number): number {
  let f = x;
  for (let k = 80; k >= 1; k--) f = x + k / 2 / f;
  return Math.exp(-x * x) / (SQRT_PI * f);
}

export function erf64(x: number): number {
  const a = Math.abs(x);
  const r = a < 3 ? erfSeries(a) : 1 - erfcFraction(a);
  return x < 0 ? -r : r;
}

export function erfc64(x: number): number {
  return x >= 3 ? erfcFraction(x) : 1 - erf64(x);
}

/** Standard normal CDF; its lower tail from erfc so it stays relatively accurate. */
export const normalCdf64 = (x: number): number => 0.5 * erfc64(-x / Math.SQRT2);

const nanMax = (x: number, a: number) => (Number.isNaN(x) || Number.isNaN(a) ? NaN : Math.max(x, a));
const nanMin = (x: number, a: number) => (Number.isNaN(x) || Number.isNaN(a) ? NaN : Math.min(x, a));

/** f(x, α, β) of each unary.wgsl op. */
export const UNARY_MATH_REF: Record<string, (x: number, alpha: number, beta: number) => number> = {
  neg: (x) => -x,
  abs: (x) => Math.abs(x),
  sqrt: (x) => Math.sqrt(x),
  rsqrt: (x) => 1 / Math.sqrt(x),
  square: (x) => x * x,
  log1p: (x) => Math.log1p(x),
  leakyRelu: (x, slope) => (x > 0 ? x : slope * x),
  elu: (x, alpha) => (x > 0 ? x : alpha * Math.expm1(x)),
  softplus: (x, beta, threshold) => (beta * x > threshold ? x : Math.log1p(Math.exp(beta * x)) / beta),
  geluErf: (x) => x * normalCdf64(x),
  addScalar: (x, a) => x + a,
  rsubScalar: (x, a) => a - x,
  divScalar: (x, a) => x / a,
  rdivScalar: (x, a) => a / x,
  powScalar: (x, a) => Math.pow(x, a),
  rpowScalar: (x, a) => Math.pow(a, x),
  maximumScalar: nanMax,
  minimumScalar: nanMin,
  eqScalar: (x, a) => +(x === a),
  neScalar: (x, a) => +(x !== a),
  ltScalar: (x, a) => +(x < a),
  leScalar: (x, a) => +(x <= a),
  gtScalar: (x, a) => +(x > a),
  geScalar: (x, a) => +(x >= a),
  expm1: (x) => Math.expm1(x),
  erf: (x) => erf64(x),
};

export function unaryMathRef(kind: string, x: RefTensor, alpha: number, beta: number): RefTensor {
  const f = UNARY_MATH_REF[kind];
  return { data: x.data.map((v) => f(v, alpha, beta)), shape: [...x.shape] };
}
