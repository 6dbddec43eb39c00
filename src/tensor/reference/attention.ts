import type { RefTensor } from '../registry';

export interface AttentionAttrs {
  /** events */
  B: number;
  /** jet slots per event; each event also has one event token, so T = N + 1 */
  N: number;
  heads: number;
}

/** Row of token t of event b in the token layout of attention.wgsl (jets first, then event tokens). */
export function tokenRow(B: number, N: number, b: number, t: number): number {
  return t < N ? b * N + t : B * N + b;
}

/** Masked multi-head self-attention: qkv [B*N + B, 3W], mask [B, N+1] → [B*N + B, W]. */
export function attentionRef(qkv: RefTensor, mask: RefTensor, at: AttentionAttrs): RefTensor {
  const { B, N, heads: H } = at;
  const T = N + 1;
  const W = qkv.shape[1] / 3;
  const dh = W / H;
  const scale = 1 / Math.sqrt(dh);
  const out = new Float64Array((B * N + B) * W);
  const q = (r: number, c: number) => qkv.data[r * 3 * W + c];
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        const ri = tokenRow(B, N, b, i);
        const sc: number[] = [];
        for (let j = 0; j < T; j++) {
          if (!mask.data[b * T + j]) {
            sc.push(-Infinity);
            continue;
          }
          const rj = tokenRow(B, N, b, j);
          let s = 0;
          for (let d = 0; d < dh; d++) s += q(ri, h * dh + d) * q(rj, W + h * dh + d);
          sc.push(s * scale);
        }
        const m = Math.max(...sc);
        if (m === -Infinity) continue; // no real key: output stays 0
        const ex = sc.map((s) => Math.exp(s - m));
        const z = ex.reduce((a, v) => a + v, 0);
        for (let d = 0; d < dh; d++) {
          let s = 0;
          for (let j = 0; j < T; j++) s += (ex[j] / z) * q(tokenRow(B, N, b, j), 2 * W + h * dh + d);
          out[ri * W + h * dh + d] = s;
        }
      }
    }
  }
  return { data: out, shape: [B * N + B, W] };
}
