import * as tf from '@tensorflow/tfjs-core';
import { matmul } from '../../../src/tensor/ops/matmul';
import { checkMatmulRows } from '../agreement';
import { oursSettle, tfjsSettle, type BenchContext, type PreparedCase } from '../context';
import { uniformF32 } from '../inputs';

/** Rows of C checked against f64: first, last and a spread between (cost 16·n² per row). */
function sampleRows(n: number, count = 16): number[] {
  const rows = new Set<number>([0, n - 1]);
  for (let k = 1; rows.size < Math.min(count, n); k++) rows.add(Math.floor((k * 0.618034 * n) % n));
  return [...rows].sort((x, y) => x - y);
}

/** C = A·B for square f32 n×n matrices; each step is one matmul submitted on its own. */
export function prepareMatmul({ engine: e, tfBackend }: BenchContext, n: number): PreparedCase {
  const aData = uniformF32(n * n, 11);
  const bData = uniformF32(n * n, 12);
  const a = e.fromArray(aData, [n, n]).keep();
  const b = e.fromArray(bData, [n, n]).keep();
  const ta = tf.tensor2d(aData, [n, n]);
  const tb = tf.tensor2d(bData, [n, n]);

  return {
    id: `matmul-${n}`,
    label: `matmul ${n}×${n} · ${n}×${n}`,
    flops: 2 * n ** 3,
    ours: {
      step() {
        e.scope(() => {
          matmul(a, b);
        });
        e.gpu.submit();
      },
      settle: oursSettle(e),
    },
    tfjs: {
      step() {
        tf.tidy(() => {
          tf.matMul(ta, tb);
        });
      },
      settle: tfjsSettle(tfBackend),
    },
    async check() {
      const c = matmul(a, b);
      const ours = await c.read();
      c.dispose();
      const tc = tf.matMul(ta, tb);
      const theirs = (await tc.data()) as Float32Array;
      tc.dispose();
      return checkMatmulRows(aData, bData, { M: n, K: n, N: n }, sampleRows(n), { ours, tfjs: theirs });
    },
    dispose() {
      a.dispose();
      b.dispose();
      tf.dispose([ta, tb]);
    },
  };
}
