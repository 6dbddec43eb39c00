import type { Uniform } from '../../gpu/context';
import { grid1d } from '../../gpu/grid';
import { SHADERS } from '../../gpu/shaders';
import { symmetrizeRef, tripletContractionRef, type SymmetrizeAttrs } from '../reference/symmetric';
import { registerOp } from '../registry';
import type { Tensor } from '../tensor';

export type { SymmetrizeAttrs } from '../reference/symmetric';

function symUniforms(n: number, D: number, k: number, perms: number[][]): Uniform[] {
  if (perms.length < 1 || perms.length > 6) throw new Error(`symmetrize: 1 to 6 permutations supported, got ${perms.length}`);
  const u: Uniform[] = [['u32', n], ['u32', D], ['u32', k], ['u32', perms.length]];
  for (let s = 0; s < 6; s++) for (let a = 0; a < 4; a++) u.push(['u32', perms[s]?.[a] ?? 0]);
  return u;
}

function inverse(perm: number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((src, a) => { inv[src] = a; });
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
    for (const p of perms) if (p.length !== k || [...p].sort().join() !== [...Array(k).keys()].join()) throw new Error(`symmetrize: [${p}] is not a permutation of ${k} axes`);
    const y = e.empty(w.shape);
    e.gpu.dispatch(SHADERS.symmetricTensor, 'symmetrize', [w.buffer, y.buffer], grid1d(w.size, 64), symUniforms(w.size, D, k, perms));
    return { output: y };
  },
  backward(e, node, dy) {
    const { k, perms } = node.attrs;
    const D = dy.shape[0];
    const dw = e.empty(dy.shape);
    e.gpu.dispatch(SHADERS.symmetricTensor, 'symmetrize', [dy.buffer, dw.buffer], grid1d(dy.size, 64),
      symUniforms(dy.size, D, k, perms.map(inverse)));
    return [dw];
  },
  reference: ([w], at) => symmetrizeRef(w, at),
});

/**
 * Third stage of a rank-3 tensor contraction: U [B,N,D,D] (= x · W), x [B,N,D] →
 * S [B,N,N,N] with S[b,i,j,k] = Σ_{e,f} U[b,i,e,f] x[b,j,e] x[b,k,f].
 */
export const tripletContractionOp = registerOp<Record<string, never>>({
  name: 'tripletContraction',
  differentiable: [true, true],
  forward(e, [u, x]) {
    const [B, N, D] = x.shape;
    if (x.rank !== 3 || u.size !== B * N * D * D) throw new Error(`tripletContraction: U [${u.shape}] does not match x [${x.shape}]`);
    const s = e.empty([B, N, N, N]);
    e.gpu.dispatch(SHADERS.symmetricTensor, 'triplet_forward', [u.buffer, x.buffer, s.buffer], grid1d(s.size, 64),
      [['u32', B], ['u32', N], ['u32', D], ['u32', 0]]);
    return { output: s };
  },
  backward(e, node, ds, needs) {
    const [u, x] = node.inputs;
    const [B, N, D] = x.shape;
    const p: Uniform[] = [['u32', B], ['u32', N], ['u32', D], ['u32', 0]];
    let du: Tensor<'f32'> | null = null;
    let dx: Tensor<'f32'> | null = null;
    if (needs[0]) {
      du = e.empty(u.shape);
      e.gpu.dispatch(SHADERS.symmetricTensor, 'triplet_grad_u', [x.buffer, ds.buffer, du.buffer], grid1d(u.size, 64), p);
    }
    if (needs[1]) {
      dx = e.empty(x.shape);
      e.gpu.dispatch(SHADERS.symmetricTensor, 'triplet_grad_x', [u.buffer, x.buffer, ds.buffer, dx.buffer], grid1d(x.size, 64), p);
    }
    return [du, dx];
  },
  reference: ([u, x]) => tripletContractionRef(u, x),
});

type T = Tensor<'f32'>;
export const symmetrize = (w: T, k: number, perms: number[][]): T => w.engine.apply(symmetrizeOp, [w], { k, perms }) as T;
export const tripletContraction = (u: T, x: T): T => u.engine.apply(tripletContractionOp, [u, x], {}) as T;
