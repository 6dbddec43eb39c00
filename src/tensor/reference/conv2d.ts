import type { RefTensor } from '../registry';

export interface Conv2dGeometry {
  stride: number;
  pad: number;
}

/** Output size of a convolution or pooling window along one axis. */
export function convOutSize(size: number, k: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - k) / stride) + 1;
}

/** Direct NCHW convolution in f64: x [N, Cin, H, W], w [Cout, Cin, K, K], optional bias [Cout]. */
export function conv2dRef(x: RefTensor, w: RefTensor, bias: RefTensor | null, g: Conv2dGeometry): RefTensor {
  const [N, Cin, H, W] = x.shape;
  const [Cout, , K] = w.shape;
  const Ho = convOutSize(H, K, g.stride, g.pad);
  const Wo = convOutSize(W, K, g.stride, g.pad);
  const out = new Float64Array(N * Cout * Ho * Wo);
  for (let n = 0; n < N; n++) {
    for (let co = 0; co < Cout; co++) {
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++) {
          let acc = bias ? bias.data[co] : 0;
          for (let ci = 0; ci < Cin; ci++) {
            for (let ky = 0; ky < K; ky++) {
              const iy = oy * g.stride - g.pad + ky;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < K; kx++) {
                const ix = ox * g.stride - g.pad + kx;
                if (ix < 0 || ix >= W) continue;
                acc += x.data[((n * Cin + ci) * H + iy) * W + ix] * w.data[((co * Cin + ci) * K + ky) * K + kx];
              }
            }
          }
          out[((n * Cout + co) * Ho + oy) * Wo + ox] = acc;
        }
      }
    }
  }
  return { data: out, shape: [N, Cout, Ho, Wo] };
}
