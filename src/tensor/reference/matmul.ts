import type { RefTensor } from '../registry';
import { UNARY_REF } from './elementwise';

export interface MatmulRefAttrs {
  transA?: boolean;
  transB?: boolean;
  activation?: string;
}

/** C = act(op(A) · op(B) + bias) in f64, batched over a leading axis when both are 3-D. */
export function matmulRef(a: RefTensor, b: RefTensor, bias: RefTensor | null, attrs: MatmulRefAttrs): RefTensor {
  const batched = a.shape.length === 3;
  const batch = batched ? a.shape[0] : 1;
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const M = attrs.transA ? ac : ar;
  const K = attrs.transA ? ar : ac;
  const N = attrs.transB ? br : bc;
  const act = UNARY_REF[attrs.activation ?? 'none'];
  const out = new Float64Array(batch * M * N);
  for (let t = 0; t < batch; t++) {
    const oa = t * ar * ac;
    const ob = t * br * bc;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = bias ? bias.data[n] : 0;
        for (let k = 0; k < K; k++) {
          const av = attrs.transA ? a.data[oa + k * M + m] : a.data[oa + m * K + k];
          const bv = attrs.transB ? b.data[ob + n * K + k] : b.data[ob + k * N + n];
          s += av * bv;
        }
        out[t * M * N + m * N + n] = act(s, 1);
      }
    }
  }
  return { data: out, shape: batched ? [batch, M, N] : [M, N] };
}
