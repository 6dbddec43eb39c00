import type { Uniform } from '../../gpu/context';
import { grid1d } from '../../gpu/grid';
import { SHADERS } from '../../gpu/shaders';
import { batchedRowDotRef, symmetrizeRef, tripletContractionRef, type SymmetrizeAttrs } from '../reference/symmetric';
import { registerOp } from '../registry';
import type { Tensor } from '../tensor';

export type { SymmetrizeAttrs } from '../reference/symmetric';

function symUniforms(n: number, D: number, k: number, perms: number[][]): Uniform[] {
  if (perms.length < 1 || perms.length > 6) throw new Error(`symmetrize: 1 to 6 permutations supported, got ${perms.length}`);
  const u: Uniform[] = [
    ['u32', n],
    ['u32', D],
    ['u32', k],
    ['u32', perms.length],
  ];
  for (let s = 0; s < 6; s++) for (let a = 0; a < 4; a++) u.push(['u32', perms[s]?.[a] ?? 0]);
  return u;
}

function inverse(perm: number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((src, a) => {
    inv[src] = a;
  });
  return inv;
}

/**
 * Averages a rank-k weight tensor [D, ..., D] over axis permutations, so the scores it
 * gives are invariant under swapping interchangeable decay products. The backward is the
 * same average over the inverse permutations (the adjoint of the forward map).
 */
export const symmetrizeOp = registerOp<SymmetrizeAttrs>({
  name: 'symmetrize',
  differentiable: [true],
  forward(e, [w], { k, perms }) {
    const D = w.shape[0];
    if (w.rank !== k || w.shape.some((d) => d !== D)) throw new Error(`symmetrize: [${w.shape}] is not a rank-${k} cube`);
    for (const p of perms)
      if (p.length !== k || [...p].sort().join() !== [...Array(k).keys()].join())
        throw new Error(`symmetrize: [${p}] is not a permutation of ${k} axes`);
    const y = e.empty(w.shape);
    e.gpu.dispatch(SHADERS.symmetricTensor, 'symmetrize', [w.buffer, y.buffer], grid1d(w.size, 64), symUniforms(w.size, D, k, perms));
    return { output: y };
  },
  backward(e, node, dy) {
    const { k, perms } = node.attrs;
    const D = dy.shape[0];
    const dw = e.empty(dy.shape);
    e.gpu.dispatch(
      SHADERS.symmetricTensor,
      'symmetrize',
      [dy.buffer, dw.buffer],
      grid1d(dy.size, 64),
      symUniforms(dy.size, D, k, perms.map(inverse)),
    );
    return [dw];
  },
  reference: ([w], at) => symmetrizeRef(w, at),
});

/**
 * Last stage of a rank-3 tensor contraction: V [B,N,D,N] (V[b,i,e,k] = Σ_{d,f} W[d,e,f]
 * x[b,i,d] x[b,k,f], from two matmuls), x [B,N,D] → S [B,N,N,N] with
 * S[b,i,j,k] = Σ_e x[b,j,e] V[b,i,e,k].
 */
export const tripletContractionOp = registerOp<Record<string, never>>({
  name: 'tripletContraction',
  differentiable: [true, true],
  forward(e, [v, x]) {
    const [B, N, D] = x.shape;
    if (x.rank !== 3 || v.size !== B * N * D * N) throw new Error(`tripletContraction: V [${v.shape}] does not match x [${x.shape}]`);
    const s = e.empty([B, N, N, N]);
    e.gpu.dispatch(SHADERS.symmetricTensor, 'triplet_forward', [v.buffer, x.buffer, s.buffer], grid1d(s.size, 64), [
      ['u32', B],
      ['u32', N],
      ['u32', D],
      ['u32', 0],
    ]);
    return { output: s };
  },
  backward(e, node, ds, needs) {
    const [v, x] = node.inputs;
    const [B, N, D] = x.shape;
    const p: Uniform[] = [
      ['u32', B],
      ['u32', N],
      ['u32', D],
      ['u32', 0],
    ];
    let dv: Tensor<'f32'> | null = null;
    let dx: Tensor<'f32'> | null = null;
    if (needs[0]) {
      dv = e.empty(v.shape);
      e.gpu.dispatch(SHADERS.symmetricTensor, 'triplet_grad_v', [x.buffer, ds.buffer, dv.buffer], grid1d(v.size, 64), p);
    }
    if (needs[1]) {
      dx = e.empty(x.shape);
      e.gpu.dispatch(SHADERS.symmetricTensor, 'triplet_grad_x', [v.buffer, ds.buffer, dx.buffer], grid1d(x.size, 64), p);
    }
    return [dv, dx];
  },
  reference: ([v, x]) => tripletContractionRef(v, x),
});

/**
 * out[b,m,n] = Σ_d a[b,m,d] x[b,n,d] for a [B,M,D], x [B,N,D]: the jet-by-jet contractions
 * of the pair and triplet heads, where N is a handful of jets (see symmetric_tensor.wgsl).
 */
export const batchedRowDotOp = registerOp<Record<string, never>>({
  name: 'batchedRowDot',
  differentiable: [true, true],
  forward(e, [a, x]) {
    const [B, M, D] = a.shape;
    const N = x.shape[1];
    if (a.rank !== 3 || x.rank !== 3 || x.shape[0] !== B || x.shape[2] !== D)
      throw new Error(`batchedRowDot: [${a.shape}] and [${x.shape}] do not match`);
    const out = e.empty([B, M, N]);
    e.gpu.dispatch(SHADERS.symmetricTensor, 'rowdot_forward', [a.buffer, x.buffer, out.buffer], grid1d(out.size, 64), [
      ['u32', B],
      ['u32', M],
      ['u32', N],
      ['u32', D],
    ]);
    return { output: out };
  },
  backward(e, node, g, needs) {
    const [a, x] = node.inputs;
    const [B, M, D] = a.shape;
    const N = x.shape[1];
    const p: Uniform[] = [
      ['u32', B],
      ['u32', M],
      ['u32', N],
      ['u32', D],
    ];
    let da: Tensor<'f32'> | null = null;
    let dx: Tensor<'f32'> | null = null;
    if (needs[0]) {
      da = e.empty(a.shape);
      e.gpu.dispatch(SHADERS.symmetricTensor, 'rowdot_grad_a', [x.buffer, g.buffer, da.buffer], grid1d(a.size, 64), p);
    }
    if (needs[1]) {
      dx = e.empty(x.shape);
      e.gpu.dispatch(SHADERS.symmetricTensor, 'rowdot_grad_x', [a.buffer, g.buffer, dx.buffer], grid1d(x.size, 64), p);
    }
    return [da, dx];
  },
  reference: ([a, x]) => batchedRowDotRef(a, x),
});

type T = Tensor<'f32'>;
export const symmetrize = (w: T, k: number, perms: number[][]): T => w.engine.apply(symmetrizeOp, [w], { k, perms }) as T;
export const tripletContraction = (v: T, x: T): T => v.engine.apply(tripletContractionOp, [v, x], {}) as T;
export const batchedRowDot = (a: T, x: T): T => a.engine.apply(batchedRowDotOp, [a, x], {}) as T;
