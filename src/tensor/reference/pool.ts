import type { RefTensor } from '../registry';

/** Non-overlapping k×k max or average pooling of x [N, C, H, W] (floor sizes), in f64. */
export function pool2dRef(x: RefTensor, k: number, mode: 'max' | 'avg'): RefTensor {
  const [N, C, H, W] = x.shape;
  const Ho = Math.floor(H / k);
  const Wo = Math.floor(W / k);
  const out = new Float64Array(N * C * Ho * Wo);
  for (let nc = 0; nc < N * C; nc++) {
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        let m = -Infinity;
        let s = 0;
        for (let dy = 0; dy < k; dy++) {
          for (let dx = 0; dx < k; dx++) {
            const v = x.data[(nc * H + oy * k + dy) * W + ox * k + dx];
            m = Math.max(m, v);
            s += v;
          }
        }
        out[(nc * Ho + oy) * Wo + ox] = mode === 'max' ? m : s / (k * k);
      }
    }
  }
  return { data: out, shape: [N, C, Ho, Wo] };
}
