import type { RefTensor } from '../registry';

/** Nearest-neighbour upsampling of x [N, C, H, W] by an integer factor, in f64. */
export function upsampleNearestRef(x: RefTensor, factor: number): RefTensor {
  const [N, C, H, W] = x.shape;
  const Ho = H * factor;
  const Wo = W * factor;
  const out = new Float64Array(N * C * Ho * Wo);
  for (let nc = 0; nc < N * C; nc++) {
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        out[(nc * Ho + oy) * Wo + ox] = x.data[(nc * H + Math.floor(oy / factor)) * W + Math.floor(ox / factor)];
      }
    }
  }
  return { data: out, shape: [N, C, Ho, Wo] };
}
