/** Convolution weight layouts: ours [out, in, kh, kw] (NCHW kernels), tfjs [kh, kw, in, out] (NHWC). */

/** ours [O, I, kh, kw] → tfjs [kh, kw, I, O]. */
export function oihwToHwio(w: Float32Array, [O, I, kh, kw]: readonly number[]): Float32Array {
  const out = new Float32Array(w.length);
  for (let o = 0; o < O; o++) {
    for (let i = 0; i < I; i++) {
      for (let a = 0; a < kh; a++) {
        for (let b = 0; b < kw; b++) out[((a * kw + b) * I + i) * O + o] = w[((o * I + i) * kh + a) * kw + b];
      }
    }
  }
  return out;
}

/** tfjs [kh, kw, I, O] → ours [O, I, kh, kw] (shape given in our order). */
export function hwioToOihw(w: Float32Array, [O, I, kh, kw]: readonly number[]): Float32Array {
  const out = new Float32Array(w.length);
  for (let o = 0; o < O; o++) {
    for (let i = 0; i < I; i++) {
      for (let a = 0; a < kh; a++) {
        for (let b = 0; b < kw; b++) out[((o * I + i) * kh + a) * kw + b] = w[((a * kw + b) * I + i) * O + o];
      }
    }
  }
  return out;
}
