import type { RefTensor } from '../registry';

export interface ConvTransposeGeometry {
  stride: [number, number];
  padding: [number, number];
  outputPadding: [number, number];
}

/** torch's ConvTranspose2d output size along one axis (dilation 1). */
export function convTransposeOutSize(size: number, k: number, stride: number, pad: number, outPad: number): number {
  return (size - 1) * stride - 2 * pad + k + outPad;
}

/**
 * Scatter form in f64 (the definition; the kernel gathers): every input pixel adds
 * x · w[ci, co] into the K×K window at (iy·s - pad, ix·s - pad). x [N, Cin, H, W], w [Cin, Cout, KH, KW].
 */
export function convTransposeRef(x: RefTensor, w: RefTensor, bias: RefTensor | null, g: ConvTransposeGeometry): RefTensor {
  const [N, Cin, H, W] = x.shape;
  const [, Cout, KH, KW] = w.shape;
  const Ho = convTransposeOutSize(H, KH, g.stride[0], g.padding[0], g.outputPadding[0]);
  const Wo = convTransposeOutSize(W, KW, g.stride[1], g.padding[1], g.outputPadding[1]);
  const out = new Float64Array(N * Cout * Ho * Wo);
  for (let n = 0; n < N; n++) {
    for (let co = 0; co < Cout; co++) {
      const b = bias ? bias.data[co] : 0;
      for (let j = 0; j < Ho * Wo; j++) out[(n * Cout + co) * Ho * Wo + j] = b;
    }
    for (let ci = 0; ci < Cin; ci++) {
      for (let iy = 0; iy < H; iy++) {
        for (let ix = 0; ix < W; ix++) {
          const v = x.data[((n * Cin + ci) * H + iy) * W + ix];
          for (let co = 0; co < Cout; co++) {
            for (let ky = 0; ky < KH; ky++) {
              const oy = iy * g.stride[0] - g.padding[0] + ky;
              if (oy < 0 || oy >= Ho) continue;
              for (let kx = 0; kx < KW; kx++) {
                const ox = ix * g.stride[1] - g.padding[1] + kx;
                if (ox < 0 || ox >= Wo) continue;
                out[((n * Cout + co) * Ho + oy) * Wo + ox] += v * w.data[((ci * Cout + co) * KH + ky) * KW + kx];
              }
            }
          }
        }
      }
    }
  }
  return { data: out, shape: [N, Cout, Ho, Wo] };
}
