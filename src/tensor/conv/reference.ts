/**
 * f64 references of the three conv2d products, each with the sum of |terms| per element
 * (the scale of the f32 rounding bound the GPU tests use). The forward is conv2dRef's sum;
 * the two gradients are its adjoints, written as sums so that they can be checked against
 * finite differences of conv2dRef (tests/tensor/convGemm.test.ts) and then stand in for
 * them at sizes where differences would be too slow.
 */
import type { ConvShape } from './implicitGemm';

export interface RefWithScale {
  value: Float64Array;
  absSum: Float64Array;
}

/** Calls f(x index, w index, y index) for every tap of every output that lies inside the image. */
function forEachTap(d: ConvShape, f: (xi: number, wi: number, yi: number) => void): void {
  const { N, Cin, H, W, Cout, K, Ho, Wo, stride, pad } = d;
  for (let n = 0; n < N; n++)
    for (let co = 0; co < Cout; co++)
      for (let oy = 0; oy < Ho; oy++)
        for (let ox = 0; ox < Wo; ox++) {
          const yi = ((n * Cout + co) * Ho + oy) * Wo + ox;
          for (let ci = 0; ci < Cin; ci++)
            for (let ky = 0; ky < K; ky++) {
              const iy = oy * stride - pad + ky;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < K; kx++) {
                const ix = ox * stride - pad + kx;
                if (ix < 0 || ix >= W) continue;
                f(((n * Cin + ci) * H + iy) * W + ix, ((co * Cin + ci) * K + ky) * K + kx, yi);
              }
            }
        }
}

export function convForwardRef(d: ConvShape, x: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number> | null): RefWithScale {
  const size = d.N * d.Cout * d.Ho * d.Wo;
  const value = new Float64Array(size);
  const absSum = new Float64Array(size);
  if (bias) {
    const plane = d.Ho * d.Wo;
    for (let i = 0; i < size; i++) {
      const b = bias[Math.floor(i / plane) % d.Cout];
      value[i] = b;
      absSum[i] = Math.abs(b);
    }
  }
  forEachTap(d, (xi, wi, yi) => {
    const t = x[xi] * w[wi];
    value[yi] += t;
    absSum[yi] += Math.abs(t);
  });
  return { value, absSum };
}

/** dx = Σ over the taps that read each pixel of dy · w. */
export function convInputGradRef(d: ConvShape, dy: ArrayLike<number>, w: ArrayLike<number>): RefWithScale {
  const size = d.N * d.Cin * d.H * d.W;
  const value = new Float64Array(size);
  const absSum = new Float64Array(size);
  forEachTap(d, (xi, wi, yi) => {
    const t = dy[yi] * w[wi];
    value[xi] += t;
    absSum[xi] += Math.abs(t);
  });
  return { value, absSum };
}

/** dw = Σ over every output pixel of dy · the x it saw through that tap. */
export function convWeightGradRef(d: ConvShape, dy: ArrayLike<number>, x: ArrayLike<number>): RefWithScale {
  const size = d.Cout * d.Cin * d.K * d.K;
  const value = new Float64Array(size);
  const absSum = new Float64Array(size);
  forEachTap(d, (xi, wi, yi) => {
    const t = dy[yi] * x[xi];
    value[wi] += t;
    absSum[wi] += Math.abs(t);
  });
  return { value, absSum };
}
