import type { RefTensor } from '../registry';

/** Channel concatenation of a [N, Ca, H, W] and b [N, Cb, H, W], in f64. */
export function concatChannelsRef(a: RefTensor, b: RefTensor): RefTensor {
  const [N, Ca, H, W] = a.shape;
  const Cb = b.shape[1];
  const hw = H * W;
  const out = new Float64Array(N * (Ca + Cb) * hw);
  for (let n = 0; n < N; n++) {
    out.set(a.data.subarray(n * Ca * hw, (n + 1) * Ca * hw), n * (Ca + Cb) * hw);
    out.set(b.data.subarray(n * Cb * hw, (n + 1) * Cb * hw), (n * (Ca + Cb) + Ca) * hw);
  }
  return { data: out, shape: [N, Ca + Cb, H, W] };
}
