// Unary ops of unary.wgsl: activations with parameters, math functions, and the scalar forms
// of the binary ops (x + α, α − x, x / α, α / x, x ** α, α ** x, max/min with α, x ⋛ α).
// Each op's attrs are { alpha, beta }: leakyRelu: slope; elu: alpha; softplus: beta and
// threshold; scalar forms: the scalar.
import { launchUnaryMath, launchUnaryMathBackward, type UnaryMathKind } from '../kernels';
import { unaryMathRef } from '../reference/elementwise';
import { registerOp, type OpDef } from '../registry';
import type { Tensor } from '../tensor';

export interface UnaryParams {
  alpha: number;
  beta: number;
}

function mathOp(kind: UnaryMathKind, differentiable = true): OpDef<UnaryParams> {
  return registerOp<UnaryParams>({
    name: kind,
    differentiable: [differentiable],
    forward(e, [x], { alpha, beta }) {
      if (x.dtype !== 'f32') throw new Error(`${kind}: needs an f32 tensor, got ${x.dtype}`);
      const y = e.empty(x.shape);
      launchUnaryMath(e.gpu, kind, x, y, alpha, beta);
      return { output: y };
    },
    backward(e, node, dy) {
      if (!differentiable) return [null];
      const dx = e.empty(node.inputs[0].shape);
      launchUnaryMathBackward(e.gpu, kind, node.inputs[0], node.output, dy, dx, node.attrs.alpha, node.attrs.beta);
      return [dx];
    },
    reference: ([x], { alpha, beta }) => unaryMathRef(kind, x, alpha, beta),
  });
}

/** Differentiable unary ops (forward and backward kernels in unary.wgsl). */
export const UNARY_MATH_OPS = {
  neg: mathOp('neg'),
  abs: mathOp('abs'),
  sqrt: mathOp('sqrt'),
  rsqrt: mathOp('rsqrt'),
  square: mathOp('square'),
  log1p: mathOp('log1p'),
  expm1: mathOp('expm1'),
  erf: mathOp('erf'),
  leakyRelu: mathOp('leakyRelu'),
  elu: mathOp('elu'),
  softplus: mathOp('softplus'),
  geluErf: mathOp('geluErf'),
  addScalar: mathOp('addScalar'),
  rsubScalar: mathOp('rsubScalar'),
  divScalar: mathOp('divScalar'),
  rdivScalar: mathOp('rdivScalar'),
  powScalar: mathOp('powScalar'),
  rpowScalar: mathOp('rpowScalar'),
  maximumScalar: mathOp('maximumScalar'),
  minimumScalar: mathOp('minimumScalar'),
};

/** Comparisons with a scalar: f32 0/1, no gradient. */
export const COMPARE_SCALAR_OPS = {
  eq: mathOp('eqScalar', false),
  ne: mathOp('neScalar', false),
  lt: mathOp('ltScalar', false),
  le: mathOp('leScalar', false),
  gt: mathOp('gtScalar', false),
  ge: mathOp('geScalar', false),
};

// ---- user-facing functions ---------------------------------------------------------------
type T = Tensor<'f32'>;
const apply = (op: OpDef<UnaryParams>, x: T, alpha = 0, beta = 0): T => x.engine.apply(op, [x], { alpha, beta }) as T;

export const neg = (x: T): T => apply(UNARY_MATH_OPS.neg, x);
export const abs = (x: T): T => apply(UNARY_MATH_OPS.abs, x);
export const sqrt = (x: T): T => apply(UNARY_MATH_OPS.sqrt, x);
export const rsqrt = (x: T): T => apply(UNARY_MATH_OPS.rsqrt, x);
export const square = (x: T): T => apply(UNARY_MATH_OPS.square, x);
export const log1p = (x: T): T => apply(UNARY_MATH_OPS.log1p, x);
export const expm1 = (x: T): T => apply(UNARY_MATH_OPS.expm1, x);
export const erf = (x: T): T => apply(UNARY_MATH_OPS.erf, x);
/** torch.nn.functional.leaky_relu (default slope 0.01; the gradient at 0 is the slope, as torch). */
export const leakyRelu = (x: T, slope = 0.01): T => apply(UNARY_MATH_OPS.leakyRelu, x, slope);
/** torch.nn.functional.elu: x > 0 ? x : α·(eˣ − 1). */
export const elu = (x: T, alpha = 1): T => apply(UNARY_MATH_OPS.elu, x, alpha);
/** torch.nn.functional.softplus: log(1 + e^{βx})/β, and x itself where βx > threshold. */
export const softplus = (x: T, opts: { beta?: number; threshold?: number } = {}): T =>
  apply(UNARY_MATH_OPS.softplus, x, opts.beta ?? 1, opts.threshold ?? 20);
/** Exact GELU, x·Φ(x) (torch nn.GELU() default, approximate='none'). */
export const geluErf = (x: T): T => apply(UNARY_MATH_OPS.geluErf, x);

export const addScalar = (x: T, s: number): T => apply(UNARY_MATH_OPS.addScalar, x, s);
/** s − x */
export const rsubScalar = (x: T, s: number): T => apply(UNARY_MATH_OPS.rsubScalar, x, s);
export const divScalar = (x: T, s: number): T => apply(UNARY_MATH_OPS.divScalar, x, s);
/** s / x */
export const rdivScalar = (x: T, s: number): T => apply(UNARY_MATH_OPS.rdivScalar, x, s);
export const powScalar = (x: T, s: number): T => apply(UNARY_MATH_OPS.powScalar, x, s);
/** s ** x */
export const rpowScalar = (x: T, s: number): T => apply(UNARY_MATH_OPS.rpowScalar, x, s);
/** Ties (x = s) get half the gradient, as torch.maximum does. */
export const maximumScalar = (x: T, s: number): T => apply(UNARY_MATH_OPS.maximumScalar, x, s);
export const minimumScalar = (x: T, s: number): T => apply(UNARY_MATH_OPS.minimumScalar, x, s);
