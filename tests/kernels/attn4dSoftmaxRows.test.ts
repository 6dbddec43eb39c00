/**
 * The row-per-thread softmax kernel of attention4d (shaders/attn4d_softmax_rows.wgsl) and its
 * backward, pinned, against the f64 reference at odd sizes (1, 7, 21, 257 rows…, up to its 32-key
 * limit), with key masks, -inf additive masks and fully masked rows; its gradients against
 * central differences; and the same probabilities as the workgroup kernel. attention4d.test.ts
 * covers the unpinned choice (rows for S ≤ 32 there too).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/tensor/engine';
import {
  attention4dOp,
  attentionProbs,
  attentionProbsOp,
  attentionSoftmaxKernel,
  pinAttentionSoftmax,
  ROWS_SOFTMAX_MAX_KEYS,
  type AttentionSoftmaxKernel,
} from '../../src/tensor/ops/attention4d';
import { testEngine } from '../helpers/engine';
import { checkForward, checkGradient, ref, type OpInput } from '../helpers/opcheck';
import { rng, uniform } from '../helpers/random';

// Tolerances as tests/kernels/attention4d.test.ts argues them: the kernel changes only the
// order of ≤ 32-term f32 sums (serial here, a tree there), ~1e-7 relative.
const RTOL = 1e-5;
const ATOL_REL = 2e-6;
const G_RTOL = 1e-4;
const G_ATOL_REL = 1e-5;

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});
afterEach(() => pinAttentionSoftmax(null));

function qkv(B: number, H: number, T: number, S: number, D: number, seed: number): OpInput[] {
  return [
    ref(uniform(B * H * T * D, seed, -2, 2), [B, H, T, D]),
    ref(uniform(B * H * S * D, seed + 1), [B, H, S, D]),
    ref(uniform(B * H * S * D, seed + 2), [B, H, S, D]),
  ];
}

/** [B, S] torch-style padding mask (1 = padded): about a third padded, key 0 kept, batch B−1 all padded when B > 1. */
function paddingMask(B: number, S: number, seed: number): OpInput {
  const r = rng(seed);
  return ref(
    Array.from({ length: B * S }, (_, i) => (B > 1 && i >= (B - 1) * S ? 1 : i % S !== 0 && r() < 0.33 ? 1 : 0)),
    [B, S],
    'f32',
  );
}

/** [T, S] additive mask with about a fifth of the entries -inf. */
function additive(T: number, S: number, seed: number): OpInput {
  const r = rng(seed);
  return ref(
    Array.from({ length: T * S }, () => (r() < 0.2 ? -Infinity : 2 * r() - 1)),
    [T, S],
  );
}

const SIZES: [number, number, number, number, number][] = [
  // B, H, T, S, D: R = B·H·T rows of S keys
  [1, 1, 1, 1, 3],
  [2, 3, 7, 7, 5],
  [3, 4, 11, 11, 16], // SPANet's shape: 10 jets + the particle vector, 4 heads
  [1, 2, 257, 21, 8], // R 514: a partial last workgroup of 64 rows
  [2, 1, 33, 32, 5], // the kernel's 32-key limit
];

describe('attention4d row-per-thread softmax (pinned) vs the f64 reference', () => {
  for (const [B, H, T, S, D] of SIZES) {
    it(`B${B} H${H} T${T} S${S} D${D}: forward, key-padding and -inf additive masks`, async () => {
      pinAttentionSoftmax('rows');
      await checkForward(e, attention4dOp, qkv(B, H, T, S, D, T + S), {}, RTOL, ATOL_REL);
      await checkForward(
        e,
        attention4dOp,
        [...qkv(B, H, T, S, D, 3 + S), paddingMask(B, S, 4), additive(T, S, 5)],
        { keyMask: true, keyMaskPads: true, addMask: true, scale: 0.7 },
        RTOL,
        ATOL_REL,
      );
    });
    it(`B${B} H${H} T${T} S${S} D${D}: gradients (central differences)`, async () => {
      pinAttentionSoftmax('rows');
      const masked: OpInput[] = [...qkv(B, H, T, S, D, 40 + S), paddingMask(B, S, 9)];
      await checkGradient(e, attention4dOp, masked, { keyMask: true, keyMaskPads: true }, G_RTOL, G_ATOL_REL);
      await checkGradient(e, attentionProbsOp, [masked[0], masked[1], masked[3]], { keyMask: true, keyMaskPads: true }, G_RTOL, G_ATOL_REL);
    });
  }
});

describe('choosing the softmax kernel', () => {
  it('takes rows up to 32 keys, the workgroup kernel beyond, and refuses rows it cannot hold', () => {
    expect(attentionSoftmaxKernel(1)).toBe('rows');
    expect(attentionSoftmaxKernel(ROWS_SOFTMAX_MAX_KEYS)).toBe('rows');
    expect(attentionSoftmaxKernel(ROWS_SOFTMAX_MAX_KEYS + 1)).toBe('workgroup');
    pinAttentionSoftmax('workgroup');
    expect(attentionSoftmaxKernel(5)).toBe('workgroup');
    pinAttentionSoftmax('rows');
    expect(() => attentionSoftmaxKernel(33)).toThrow(/at most 32 keys/);
  });

  it('both kernels give the same probabilities, masked entries exactly 0', async () => {
    const [B, H, T, S, D] = [3, 4, 11, 11, 16];
    const [q, k] = qkv(B, H, T, S, D, 77).map((x) => e.fromArray(Float32Array.from(x.data), x.shape));
    const pad = paddingMask(B, S, 78);
    const mask = e.fromArray(Float32Array.from(pad.data), [B, S]);
    const probs = async (kernel: AttentionSoftmaxKernel) => {
      pinAttentionSoftmax(kernel);
      const p = attentionProbs(q, k, { keyMask: mask, keyMaskPads: true });
      const v = await p.read();
      p.dispose();
      return v;
    };
    const [rows, wg] = [await probs('rows'), await probs('workgroup')];
    let worst = 0;
    for (let i = 0; i < rows.length; i++) {
      const s = i % S,
        b = Math.floor(i / (H * T * S));
      if (pad.data[b * S + s]) expect(rows[i]).toBe(0);
      worst = Math.max(worst, Math.abs(rows[i] - wg[i]));
    }
    // Probabilities ≤ 1, sums of ≤ 11 terms in another order: a few ulp of 1.
    expect(worst).toBeLessThan(1e-6);
    // Batch B−1 is all padding: zeros, no NaN.
    expect(Array.from(rows.subarray((B - 1) * H * T * S)).every((x) => x === 0)).toBe(true);
    for (const t of [q, k, mask]) t.dispose();
    expect(e.gpu.takeErrors()).toEqual([]);
  });
});
