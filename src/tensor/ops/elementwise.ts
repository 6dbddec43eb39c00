import type { Engine } from '../engine';
import {
  launchBinary,
  launchBinaryBackward,
  launchBiasAdd,
  launchReduce,
  launchUnary,
  launchUnaryBackward,
  type BinaryKind,
  type UnaryKind,
} from '../kernels';
import { biasAddRef, binaryRef, unaryRef } from '../reference/elementwise';
import { registerOp, type OpDef } from '../registry';
import type { Tensor } from '../tensor';
import { BROADCAST_OPS, binaryOrScalar } from './broadcast';
import { UNARY_MATH_OPS, geluErf } from './unary';

interface ScaleAttrs {
  alpha: number;
}

function unaryOp(kind: UnaryKind): OpDef<ScaleAttrs> {
  return registerOp<ScaleAttrs>({
    name: kind,
    differentiable: [true],
    forward(e, [x], attrs) {
      const y = e.empty(x.shape);
      launchUnary(e.gpu, kind, x, y, attrs.alpha);
      return { output: y };
    },
    backward(e, node, dy) {
      const dx = e.empty(node.inputs[0].shape);
      launchUnaryBackward(e.gpu, kind, node.inputs[0], node.output, dy, dx, node.attrs.alpha);
      return [dx];
    },
    reference: ([x], attrs) => unaryRef(kind, x, attrs.alpha),
  });
}

export const UNARY_OPS = {
  relu: unaryOp('relu'),
  gelu: unaryOp('gelu'),
  sigmoid: unaryOp('sigmoid'),
  tanh: unaryOp('tanh'),
  log: unaryOp('log'),
  exp: unaryOp('exp'),
  scale: unaryOp('scale'),
};

function binaryOp(kind: BinaryKind): OpDef<Record<string, never>> {
  return registerOp({
    name: kind,
    differentiable: [true, true],
    forward(e, [a, b]) {
      if (a.shape.join() !== b.shape.join()) {
        throw new Error(`${kind}: shapes [${a.shape}] and [${b.shape}] differ (use biasAdd to broadcast)`);
      }
      const c = e.empty(a.shape);
      launchBinary(e.gpu, kind, a, b, c);
      return { output: c };
    },
    backward(e, node, dc) {
      const [a, b] = node.inputs;
      const da = e.empty(a.shape);
      const db = e.empty(b.shape);
      launchBinaryBackward(e.gpu, kind, a, b, dc, da, db);
      return [da, db];
    },
    reference: ([a, b]) => binaryRef(kind, a, b),
  });
}

export const BINARY_OPS = { add: binaryOp('add'), sub: binaryOp('sub'), mul: binaryOp('mul') };

/** x [..., N] + bias [N]; the bias gradient is the column sum of dy. */
export const biasAddOp = registerOp<Record<string, never>>({
  name: 'biasAdd',
  differentiable: [true, true],
  forward(e, [x, bias]) {
    const n = bias.size;
    if (bias.rank !== 1 || x.shape[x.rank - 1] !== n) {
      throw new Error(`biasAdd: bias [${bias.shape}] does not match the last axis of [${x.shape}]`);
    }
    const y = e.empty(x.shape);
    launchBiasAdd(e.gpu, x, bias, y);
    return { output: y };
  },
  backward(e, node, dy, needs) {
    const bias = node.inputs[1];
    let db: Tensor<'f32'> | null = null;
    if (needs[1]) {
      db = e.empty(bias.shape);
      launchReduce(e.gpu, dy.buffer, db.buffer, 1, dy.size / bias.size, bias.size, 1);
    }
    return [dy, db];
  },
  reference: ([x, bias]) => biasAddRef(x, bias),
});

// ---- user-facing functions ---------------------------------------------------------------
type T = Tensor<'f32'>;
const un =
  (op: OpDef<ScaleAttrs>) =>
  (x: T): T =>
    x.engine.apply(op, [x], { alpha: 1 }) as T;

export const relu = un(UNARY_OPS.relu);
/**
 * GELU. The default is the tanh approximation (what this engine always used; torch's
 * approximate='tanh'); { approximate: 'none' } is the exact erf form, torch nn.GELU()'s default.
 */
export const gelu = (x: T, opts: { approximate?: 'tanh' | 'none' } = {}): T =>
  (opts.approximate ?? 'tanh') === 'none' ? geluErf(x) : (x.engine.apply(UNARY_OPS.gelu, [x], { alpha: 1 }) as T);
export const sigmoid = un(UNARY_OPS.sigmoid);
export const tanh = un(UNARY_OPS.tanh);
export const log = un(UNARY_OPS.log);
export const exp = un(UNARY_OPS.exp);
export const scale = (x: T, alpha: number): T => x.engine.apply(UNARY_OPS.scale, [x], { alpha }) as T;

// add / sub / mul: equal shapes take the same-shape kernels above (unchanged numbers), other
// shapes broadcast (broadcast.ts), and a number operand takes a scalar op.
type Operand = T | number;
const equalShapes = (a: Operand, b: Operand): boolean =>
  typeof a !== 'number' && typeof b !== 'number' && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
const M = UNARY_MATH_OPS;

export const add = (a: Operand, b: Operand): T =>
  equalShapes(a, b)
    ? ((a as T).engine.apply(BINARY_OPS.add, [a as T, b as T], {}) as T)
    : binaryOrScalar(BROADCAST_OPS.add, M.addScalar, M.addScalar, a, b, 'add');
export const sub = (a: Operand, b: Operand): T => {
  if (equalShapes(a, b)) return (a as T).engine.apply(BINARY_OPS.sub, [a as T, b as T], {}) as T;
  // x − s is x + (−s) exactly in IEEE arithmetic.
  if (typeof b === 'number' && typeof a !== 'number') return a.engine.apply(M.addScalar, [a], { alpha: -b, beta: 0 }) as T;
  return binaryOrScalar(BROADCAST_OPS.sub, M.addScalar, M.rsubScalar, a, b, 'sub');
};
export const mul = (a: Operand, b: Operand): T =>
  equalShapes(a, b)
    ? ((a as T).engine.apply(BINARY_OPS.mul, [a as T, b as T], {}) as T)
    : binaryOrScalar(BROADCAST_OPS.mul, UNARY_OPS.scale, UNARY_OPS.scale, a, b, 'mul');
export const biasAdd = (x: T, bias: T): T => x.engine.apply(biasAddOp, [x, bias], {}) as T;

export type { Engine };
