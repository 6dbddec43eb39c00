import type { RefTensor } from '../registry';

export interface BilinearGeometry {
  /** Output height and width. */
  outH: number;
  outW: number;
  /** Source step per output pixel along each axis: in/out, or 1/scale_factor as torch uses when given one. */
  ratioH: number;
  ratioW: number;
}

/** torch's align_corners=False source taps of output index o along one axis. */
export function bilinearTaps(o: number, ratio: number, size: number): { i0: number; i1: number; l: number } {
  const s = Math.max(ratio * (o + 0.5) - 0.5, 0);
  const i0 = Math.min(Math.floor(s), size - 1);
  return { i0, i1: Math.min(i0 + 1, size - 1), l: s - i0 };
}

/** F.interpolate(x, mode='bilinear', align_corners=False) in f64 on x [N, C, H, W]. */
export function bilinearRef(x: RefTensor, g: BilinearGeometry): RefTensor {
  const [N, C, H, W] = x.shape;
  const out = new Float64Array(N * C * g.outH * g.outW);
  for (let pl = 0; pl < N * C; pl++) {
    for (let oy = 0; oy < g.outH; oy++) {
      const ty = bilinearTaps(oy, g.ratioH, H);
      for (let ox = 0; ox < g.outW; ox++) {
        const tx = bilinearTaps(ox, g.ratioW, W);
        const v = (iy: number, ix: number) => x.data[(pl * H + iy) * W + ix];
        const top = (1 - tx.l) * v(ty.i0, tx.i0) + tx.l * v(ty.i0, tx.i1);
        const bottom = (1 - tx.l) * v(ty.i1, tx.i0) + tx.l * v(ty.i1, tx.i1);
        out[(pl * g.outH + oy) * g.outW + ox] = (1 - ty.l) * top + ty.l * bottom;
      }
    }
  }
  return { data: out, shape: [N, C, g.outH, g.outW] };
}
