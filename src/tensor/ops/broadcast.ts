// Binary ops with NumPy / PyTorch broadcasting (add, sub, mul, div, pow, maximum, minimum)
// and comparisons (f32 0/1, no gradient). Backward: each operand's partial derivative in the
// broadcast shape (binary_partial), summed down to the operand's shape (launchSumToShape).
// add / sub / mul of equal shapes keep the same-shape kernels of elementwise.ts (see there).
import type { Engine } from '../engine';
import { launchBroadcastBinary, launchBroadcastPartial, launchSumToShape, type BroadcastOpKind } from '../kernels';
import { broadcastBinaryRef, broadcastShape } from '../reference/broadcast';
import { registerOp, type OpDef } from '../registry';
import type { Tensor } from '../tensor';
import { COMPARE_SCALAR_OPS, UNARY_MATH_OPS, type UnaryParams } from './unary';

type T = Tensor<'f32'>;
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** g (in the broadcast shape) summed down to `shape`, times `scale`; g itself when nothing is summed. */
export function sumToShape(e: Engine, g: T, shape: readonly number[], scale = 1): T {
  if (scale === 1 && sameShape(g.shape, shape)) return g;
  const out = e.empty(shape);
  launchSumToShape(e.gpu, g.buffer, g.shape, out.buffer, shape, scale);
  return out;
}

function broadcastOp(kind: BroadcastOpKind, name: string, differentiable: boolean): OpDef<Record<string, never>> {
  return registerOp({
    name,
    differentiable: [differentiable, differentiable],
    forward(e, [a, b]) {
      if (a.dtype !== 'f32' || b.dtype !== 'f32') throw new Error(`${name}: needs f32 tensors, got ${a.dtype} and ${b.dtype}`);
      const c = e.empty(broadcastShape(a.shape, b.shape));
      launchBroadcastBinary(e.gpu, kind, a, b, c);
      return { output: c };
    },
    backward(e, node, dc, needs) {
      if (!differentiable) return [null, null];
      return node.inputs.map((x, k) => {
        if (!needs[k]) return null;
        // add and sub have constant partials (±1): sum dc directly.
        if (kind === 'add' || kind === 'sub') return sumToShape(e, dc, x.shape, kind === 'sub' && k === 1 ? -1 : 1);
        const full = e.empty(dc.shape);
        launchBroadcastPartial(e.gpu, kind, node.inputs[0], node.inputs[1], dc, full, k === 1);
        const g = sumToShape(e, full, x.shape);
        if (g !== full) full.dispose();
        return g;
      });
    },
    reference: ([a, b]) => broadcastBinaryRef(kind, a, b),
  });
}

/** Differentiable broadcasting binary ops (add / sub / mul also exist same-shape: elementwise.ts). */
export const BROADCAST_OPS = {
  add: broadcastOp('add', 'broadcastAdd', true),
  sub: broadcastOp('sub', 'broadcastSub', true),
  mul: broadcastOp('mul', 'broadcastMul', true),
  div: broadcastOp('div', 'div', true),
  pow: broadcastOp('pow', 'pow', true),
  maximum: broadcastOp('maximum', 'maximum', true),
  minimum: broadcastOp('minimum', 'minimum', true),
};

/** Broadcasting comparisons: f32 0/1, not differentiable. */
export const COMPARE_OPS = {
  eq: broadcastOp('eq', 'eq', false),
  ne: broadcastOp('ne', 'ne', false),
  lt: broadcastOp('lt', 'lt', false),
  le: broadcastOp('le', 'le', false),
  gt: broadcastOp('gt', 'gt', false),
  ge: broadcastOp('ge', 'ge', false),
};

// ---- user-facing functions: tensor ∘ tensor, tensor ∘ number, number ∘ tensor -------------
type Operand = T | number;
type ScalarOp = OpDef<UnaryParams>;

const scalarApply = (op: ScalarOp, x: T, s: number): T => x.engine.apply(op, [x], { alpha: s, beta: 0 }) as T;

/**
 * Dispatches a ∘ b: two tensors to the broadcasting op, a tensor and a number to the scalar
 * op (`right` when the number is the right operand, `left` when it is the left one).
 */
export function binaryOrScalar(op: OpDef, right: ScalarOp, left: ScalarOp, a: Operand, b: Operand, name: string): T {
  if (typeof a === 'number' && typeof b === 'number') throw new Error(`${name}: needs at least one tensor`);
  if (typeof b === 'number') return scalarApply(right, a as T, b);
  if (typeof a === 'number') return scalarApply(left, b, a);
  return a.engine.apply(op, [a, b], {}) as T;
}

const M = UNARY_MATH_OPS;
const C = COMPARE_SCALAR_OPS;

/** a / b */
export const div = (a: Operand, b: Operand): T => binaryOrScalar(BROADCAST_OPS.div, M.divScalar, M.rdivScalar, a, b, 'div');
/** a ** b (torch.pow: a negative base needs an integer exponent, else NaN). */
export const pow = (a: Operand, b: Operand): T => binaryOrScalar(BROADCAST_OPS.pow, M.powScalar, M.rpowScalar, a, b, 'pow');
/** torch.maximum: at ties each side gets half the gradient, as torch. */
export const maximum = (a: Operand, b: Operand): T =>
  binaryOrScalar(BROADCAST_OPS.maximum, M.maximumScalar, M.maximumScalar, a, b, 'maximum');
export const minimum = (a: Operand, b: Operand): T =>
  binaryOrScalar(BROADCAST_OPS.minimum, M.minimumScalar, M.minimumScalar, a, b, 'minimum');
// With the number on the left the comparison flips: 2 < x is x > 2.
export const eq = (a: Operand, b: Operand): T => binaryOrScalar(COMPARE_OPS.eq, C.eq, C.eq, a, b, 'eq');
export const ne = (a: Operand, b: Operand): T => binaryOrScalar(COMPARE_OPS.ne, C.ne, C.ne, a, b, 'ne');
export const lt = (a: Operand, b: Operand): T => binaryOrScalar(COMPARE_OPS.lt, C.lt, C.gt, a, b, 'lt');
export const le = (a: Operand, b: Operand): T => binaryOrScalar(COMPARE_OPS.le, C.le, C.ge, a, b, 'le');
export const gt = (a: Operand, b: Operand): T => binaryOrScalar(COMPARE_OPS.gt, C.gt, C.lt, a, b, 'gt');
export const ge = (a: Operand, b: Operand): T => binaryOrScalar(COMPARE_OPS.ge, C.ge, C.le, a, b, 'ge');
