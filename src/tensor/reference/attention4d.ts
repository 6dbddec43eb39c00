// f64 references of scaled dot-product attention over [B, H, T, D] tensors and of the
// head layout moves (shaders/attention4d.wgsl, shaders/attention_heads.wgsl).
import type { RefTensor } from '../registry';

export interface Attention4dAttrs {
  /** Softmax scale; default 1/sqrt(D). */
  scale?: number;
  /** inputs[3] is a key mask [B, S] (u32, i32 or f32; non-zero = attend unless keyMaskPads). */
  keyMask?: boolean;
  /** The key mask follows torch's key_padding_mask convention: non-zero = padded, ignore. */
  keyMaskPads?: boolean;
  /** The next input is an additive f32 mask [T, S], [B·H, T, S] or [B|1, H|1, T, S]. */
  addMask?: boolean;
}

/** Additive-mask entries at or below this mask the key (torch writes -inf there). */
export const NEG_LIMIT = -1e30;

export interface AttentionDims {
  B: number;
  H: number;
  T: number;
  S: number;
  D: number;
  Dv: number;
  scale: number;
  /** Element strides of the additive mask over batch and heads (0 = broadcast). */
  amStrideB: number;
  amStrideH: number;
}

/** Checks q [B,H,T,D], k [B,H,S,D], v [B,H,S,Dv] and the masks; throws with the shapes. */
export function attentionDims(
  q: { shape: readonly number[] },
  k: { shape: readonly number[] },
  v: { shape: readonly number[] } | null,
  masks: { shape: readonly number[] }[],
  at: Attention4dAttrs,
): AttentionDims {
  const bad = (why: string) => new Error(`attention4d: ${why} (q [${q.shape}], k [${k.shape}]${v ? `, v [${v.shape}]` : ''})`);
  if (q.shape.length !== 4 || k.shape.length !== 4 || (v && v.shape.length !== 4)) throw bad('q, k and v must be 4-D [B, H, T, D]');
  const [B, H, T, D] = q.shape;
  const S = k.shape[2];
  if (k.shape[0] !== B || k.shape[1] !== H || k.shape[3] !== D) throw bad("k must be [B, H, S, D] with q's B, H and D");
  if (v && (v.shape[0] !== B || v.shape[1] !== H || v.shape[2] !== S)) throw bad("v must be [B, H, S, Dv] with k's B, H and S");
  const Dv = v ? v.shape[3] : D;
  let i = 0;
  if (at.keyMask) {
    const m = masks[i++];
    if (!m || m.shape.length !== 2 || m.shape[0] !== B || m.shape[1] !== S)
      throw bad(`key mask [${m?.shape}] must be [B, S] = [${B}, ${S}]`);
  }
  let amStrideB = 0;
  let amStrideH = 0;
  if (at.addMask) {
    const m = masks[i++]?.shape;
    const tail = m && m[m.length - 2] === T && m[m.length - 1] === S;
    if (m && tail && m.length === 2) {
      // [T, S]: shared by every batch and head.
    } else if (m && tail && m.length === 3 && m[0] === B * H) {
      [amStrideB, amStrideH] = [H * T * S, T * S];
    } else if (m && tail && m.length === 4 && (m[0] === B || m[0] === 1) && (m[1] === H || m[1] === 1)) {
      amStrideB = m[0] === 1 ? 0 : m[1] * T * S;
      amStrideH = m[1] === 1 ? 0 : T * S;
    } else {
      throw bad(`additive mask [${m}] must be [T, S], [B·H, T, S] or [B|1, H|1, T, S] with T = ${T}, S = ${S}`);
    }
  }
  return { B, H, T, S, D, Dv, scale: at.scale ?? 1 / Math.sqrt(D), amStrideB, amStrideH };
}

/** P [B, H, T, S]: masked softmax of scale·q·kᵀ + addMask; rows with no valid key are 0. */
export function attentionProbsRef(q: RefTensor, k: RefTensor, masks: RefTensor[], at: Attention4dAttrs): RefTensor {
  const d = attentionDims(q, k, null, masks, at);
  const { B, H, T, S, D } = d;
  const keyMask = at.keyMask ? masks[0] : null;
  const addMask = at.addMask ? masks[at.keyMask ? 1 : 0] : null;
  const P = new Float64Array(B * H * T * S);
  const z = new Float64Array(S);
  const ok = new Array<boolean>(S);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let t = 0; t < T; t++) {
        const r = (b * H + h) * T + t;
        let m = -Infinity;
        for (let s = 0; s < S; s++) {
          const a = addMask ? addMask.data[b * d.amStrideB + h * d.amStrideH + t * S + s] : 0;
          const set = keyMask ? keyMask.data[b * S + s] !== 0 : true;
          ok[s] = (keyMask && at.keyMaskPads ? !set : set) && a > NEG_LIMIT;
          let dot = 0;
          for (let c = 0; c < D; c++) dot += q.data[r * D + c] * k.data[((b * H + h) * S + s) * D + c];
          z[s] = d.scale * dot + a;
          if (ok[s]) m = Math.max(m, z[s]);
        }
        let sum = 0;
        for (let s = 0; s < S; s++) if (ok[s]) sum += Math.exp(z[s] - m);
        for (let s = 0; s < S; s++) P[r * S + s] = ok[s] ? Math.exp(z[s] - m) / sum : 0;
      }
    }
  }
  return { data: P, shape: [B, H, T, S] };
}

/** out [B, H, T, Dv] = P · v. */
export function attention4dRef(q: RefTensor, k: RefTensor, v: RefTensor, masks: RefTensor[], at: Attention4dAttrs): RefTensor {
  const { B, H, T, S, Dv } = attentionDims(q, k, v, masks, at);
  const P = attentionProbsRef(q, k, masks, at).data;
  const out = new Float64Array(B * H * T * Dv);
  for (let bh = 0; bh < B * H; bh++) {
    for (let t = 0; t < T; t++) {
      for (let s = 0; s < S; s++) {
        const w = P[(bh * T + t) * S + s];
        if (w === 0) continue;
        for (let c = 0; c < Dv; c++) out[(bh * T + t) * Dv + c] += w * v.data[(bh * S + s) * Dv + c];
      }
    }
  }
  return { data: out, shape: [B, H, T, Dv] };
}

export interface HeadsAttrs {
  heads: number;
  /** Tokens are [T, B, E] (torch's batch_first=False) instead of [B, T, E]. */
  seqFirst?: boolean;
}

/** tokens [B, T, H·D] (or [T, B, H·D]) → [B, H, T, D]. */
export function splitHeadsRef(x: RefTensor, at: HeadsAttrs): RefTensor {
  const [n0, n1, E] = x.shape;
  const [B, T] = at.seqFirst ? [n1, n0] : [n0, n1];
  const H = at.heads;
  const D = E / H;
  const out = new Float64Array(x.data.length);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T; t++) {
        const row = at.seqFirst ? t * B + b : b * T + t;
        for (let c = 0; c < D; c++) out[((b * H + h) * T + t) * D + c] = x.data[row * E + h * D + c];
      }
  return { data: out, shape: [B, H, T, D] };
}

/** [B, H, T, D] → tokens [B, T, H·D] (or [T, B, H·D]). */
export function mergeHeadsRef(y: RefTensor, at: HeadsAttrs): RefTensor {
  const [B, H, T, D] = y.shape;
  const E = H * D;
  const out = new Float64Array(y.data.length);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T; t++) {
        const row = at.seqFirst ? t * B + b : b * T + t;
        for (let c = 0; c < D; c++) out[row * E + h * D + c] = y.data[((b * H + h) * T + t) * D + c];
      }
  return { data: out, shape: at.seqFirst ? [T, B, E] : [B, T, E] };
}

export interface NarrowAttrs {
  start: number;
  length: number;
}

/** Rows [start, start + length) of x along axis 0. */
export function narrowRef(x: RefTensor, at: NarrowAttrs): RefTensor {
  const row = x.data.length / x.shape[0];
  return {
    data: x.data.slice(at.start * row, (at.start + at.length) * row),
    shape: [at.length, ...x.shape.slice(1)],
  };
}
