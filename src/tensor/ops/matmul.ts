import type { Engine } from '../engine';
import { launchMatmul, launchReduce, launchUnaryBackward, type Activation } from '../kernels';
import { matmulRef } from '../reference/matmul';
import { registerOp } from '../registry';
import type { Tensor } from '../tensor';

export interface MatmulAttrs {
  transA?: boolean;
  transB?: boolean;
  activation?: Activation;
}

interface Dims {
  M: number;
  N: number;
  K: number;
  batch: number;
}

function dims(a: Tensor, b: Tensor, at: MatmulAttrs): Dims {
  if (a.rank !== b.rank || (a.rank !== 2 && a.rank !== 3)) {
    throw new Error(`matmul: operands must both be 2-D or both 3-D, got [${a.shape}] and [${b.shape}]`);
  }
  const batch = a.rank === 3 ? a.shape[0] : 1;
  if (a.rank === 3 && b.shape[0] !== batch) throw new Error(`matmul: batch sizes differ: [${a.shape}] and [${b.shape}]`);
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const M = at.transA ? ac : ar;
  const K = at.transA ? ar : ac;
  const Kb = at.transB ? bc : br;
  const N = at.transB ? br : bc;
  if (K !== Kb) throw new Error(`matmul: inner sizes differ: [${a.shape}]${at.transA ? 'ᵀ' : ''} · [${b.shape}]${at.transB ? 'ᵀ' : ''}`);
  return { M, N, K, batch };
}

/** Records C = op(A) · op(B) (+ bias, then activation) into `c`. */
function encode(e: Engine, a: Tensor, b: Tensor, c: Tensor, at: MatmulAttrs, bias?: Tensor, z?: Tensor) {
  const d = dims(a, b, at);
  launchMatmul(e.gpu, a, b, c, {
    ...d,
    transA: !!at.transA,
    transB: !!at.transB,
    strideA: a.rank === 3 ? d.M * d.K : 0,
    strideB: b.rank === 3 ? d.K * d.N : 0,
    bias,
    act: at.activation ?? 'none',
    z,
  });
}

function product(e: Engine, a: Tensor, b: Tensor, at: MatmulAttrs): Tensor<'f32'> {
  const d = dims(a, b, at);
  const c = e.empty(a.rank === 3 ? [d.batch, d.M, d.N] : [d.M, d.N]);
  encode(e, a, b, c, at);
  return c;
}

/**
 * inputs: [A, B] or [A, B, bias]. With an activation the forward also keeps the
 * pre-activation Z so the backward can apply the activation's derivative.
 */
export const matmulOp = registerOp<MatmulAttrs>({
  name: 'matmul',
  differentiable: [true, true, true],
  forward(e, [a, b, bias], at) {
    const d = dims(a, b, at);
    if (bias && (bias.rank !== 1 || bias.size !== d.N)) {
      throw new Error(`matmul: bias [${bias.shape}] must have ${d.N} entries`);
    }
    const c = e.empty(a.rank === 3 ? [d.batch, d.M, d.N] : [d.M, d.N]);
    const act = at.activation ?? 'none';
    const z = act !== 'none' && e.tape ? e.empty(c.shape) : undefined;
    encode(e, a, b, c, at, bias, z);
    return { output: c, saved: z ? [z] : [] };
  },
  backward(e, node, dc, needs) {
    const [a, b, bias] = node.inputs;
    const at = node.attrs;
    const act = at.activation ?? 'none';
    let dz = dc;
    if (act !== 'none') {
      dz = e.empty(dc.shape);
      launchUnaryBackward(e.gpu, act, node.saved[0], node.output, dc, dz);
    }
    const tA = !!at.transA;
    const tB = !!at.transB;
    // C = op(A)·op(B):  d op(A) = dZ·op(B)ᵀ,  d op(B) = op(A)ᵀ·dZ, each written in the
    // operand's stored layout by choosing the transposes.
    const da = needs[0] ? (tA ? product(e, b, dz, { transA: tB, transB: true }) : product(e, dz, b, { transB: !tB })) : null;
    const db = needs[1] ? (tB ? product(e, dz, a, { transA: true, transB: tA }) : product(e, a, dz, { transA: !tA })) : null;
    let dbias: Tensor<'f32'> | null = null;
    if (bias && needs[2]) {
      dbias = e.empty(bias.shape);
      launchReduce(e.gpu, dz.buffer, dbias.buffer, 1, dz.size / bias.size, bias.size, 1);
    }
    return [da, db, dbias];
  },
  reference: ([a, b, bias], at) => matmulRef(a, b, bias ?? null, at),
});

export function matmul(a: Tensor<'f32'>, b: Tensor<'f32'>, attrs: MatmulAttrs = {}, bias?: Tensor<'f32'>): Tensor<'f32'> {
  return a.engine.apply(matmulOp, bias ? [a, b, bias] : [a, b], attrs) as Tensor<'f32'>;
}
