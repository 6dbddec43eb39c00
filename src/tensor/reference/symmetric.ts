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
    for (let a = 0; a < at.k; a++) {
      digits.unshift(rest % D);
      rest = Math.floor(rest / D);
    }
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

/** S[b,i,j,k] = Σ_e x[b,j,e] V[b,i,e,k];  V [B,N,D,N], x [B,N,D]. */
export function tripletContractionRef(v: RefTensor, x: RefTensor): RefTensor {
  const [B, N, D] = x.shape;
  const out = new Float64Array(B * N * N * N);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < N; i++)
      for (let j = 0; j < N; j++)
        for (let k = 0; k < N; k++) {
          let s = 0;
          for (let e = 0; e < D; e++) s += x.data[(b * N + j) * D + e] * v.data[((b * N + i) * D + e) * N + k];
          out[((b * N + i) * N + j) * N + k] = s;
        }
  return { data: out, shape: [B, N, N, N] };
}

/** out[b,m,n] = Σ_d a[b,m,d] x[b,n,d];  a [B,M,D], x [B,N,D]. */
export function batchedRowDotRef(a: RefTensor, x: RefTensor): RefTensor {
  const [B, M, D] = a.shape;
  const N = x.shape[1];
  const out = new Float64Array(B * M * N);
  for (let b = 0; b < B; b++)
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let d = 0; d < D; d++) s += a.data[(b * M + m) * D + d] * x.data[(b * N + n) * D + d];
        out[(b * M + m) * N + n] = s;
      }
  return { data: out, shape: [B, M, N] };
}
