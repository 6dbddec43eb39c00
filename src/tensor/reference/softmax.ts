import type { RefTensor } from '../registry';

/** log(0) stand-in shared with masked_softmax.wgsl: finite, and exp() of it is exactly 0. */
export const LOG_ZERO = -1e30;

export interface MaskedSoftmaxAttrs {
  /** log-softmax instead of softmax */
  log: boolean;
  /** 'mask': mask [R / rowsPerMask, C]; 'assignment': mask is a jet mask [R, N], C = N^k */
  mode: 'mask' | 'assignment';
  rowsPerMask?: number;
  /** products per particle (assignment mode) */
  k?: number;
}

/** Is entry c of row r valid: the explicit mask, or k distinct real jets. */
export function entryValid(mask: ArrayLike<number>, r: number, c: number, C: number, at: MaskedSoftmaxAttrs, N = 0): boolean {
  if (at.mode === 'mask') return mask[Math.floor(r / (at.rowsPerMask ?? 1)) * C + c] !== 0;
  const used: number[] = [];
  let rest = c;
  for (let a = 0; a < (at.k ?? 1); a++) {
    const j = rest % N;
    rest = Math.floor(rest / N);
    if (!mask[r * N + j] || used.includes(j)) return false;
    used.push(j);
  }
  return true;
}

/** Softmax or log-softmax of each row over its valid entries (invalid: 0 / LOG_ZERO). */
export function maskedSoftmaxRef(x: RefTensor, mask: RefTensor, at: MaskedSoftmaxAttrs): RefTensor {
  const C = x.shape[x.shape.length - 1];
  const R = x.data.length / C;
  const N = at.mode === 'assignment' ? mask.shape[mask.shape.length - 1] : 0;
  const out = new Float64Array(x.data.length);
  for (let r = 0; r < R; r++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) if (entryValid(mask.data, r, c, C, at, N)) m = Math.max(m, x.data[r * C + c]);
    let s = 0;
    for (let c = 0; c < C; c++) if (entryValid(mask.data, r, c, C, at, N)) s += Math.exp(x.data[r * C + c] - m);
    for (let c = 0; c < C; c++) {
      const ok = s > 0 && entryValid(mask.data, r, c, C, at, N);
      const z = x.data[r * C + c] - m;
      out[r * C + c] = at.log ? (ok ? z - Math.log(s) : LOG_ZERO) : ok ? Math.exp(z) / s : 0;
    }
  }
  return { data: out, shape: [...x.shape] };
}
