import type { RefTensor } from '../registry';

export interface SymmetrizeAttrs {
  /** rank of the weight tensor (products of the particle) */
  k: number;
  /** axis permutations to average over; perm[a] = source axis of output axis a */
  perms: number[][];
}

/** y[i1..ik] = mean over σ of w[i_σ(1)..i_σ(k)] for a [D^k] tensor. */
export function symmetrizeRef(w: RefTensor, at: SymmetrizeAttrs): RefTensor {
  const D = w.shape[0];
  const n = w.data.length;
  const out = new Float64Array(n);
  for (let id = 0; id < n; id++) {
    const digits: number[] = [];
    let rest = id;
    for (let a = 0; a < at.k; a++) { digits.unshift(rest % D); rest = Math.floor(rest / D); }
    let s = 0;
    for (const perm of at.perms) {
      let src = 0;
      for (let a = 0; a < at.k; a++) src = src * D + digits[perm[a]];
      s += w.data[src];
    }
    out[id] = s / at.perms.length;
  }
  return { data: out, shape: [...w.shape] };
}

/** S[b,i,j,k] = Σ_{e,f} U[b,i,e,f] x[b,j,e] x[b,k,f];  U [B,N,D,D], x [B,N,D]. */
export function tripletContractionRef(u: RefTensor, x: RefTensor): RefTensor {
  const [B, N, D] = x.shape;
  const out = new Float64Array(B * N * N * N);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < N; i++)
      for (let j = 0; j < N; j++)
        for (let k = 0; k < N; k++) {
          let s = 0;
          for (let e = 0; e < D; e++)
            for (let f = 0; f < D; f++)
              s += u.data[((b * N + i) * D + e) * D + f] * x.data[(b * N + j) * D + e] * x.data[(b * N + k) * D + f];
          out[((b * N + i) * N + j) * N + k] = s;
        }
  return { data: out, shape: [B, N, N, N] };
}
