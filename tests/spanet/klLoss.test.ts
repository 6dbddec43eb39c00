import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/nn/init';
import { valueAndGrad } from '../../src/tensor/autodiff';
import type { Engine } from '../../src/tensor/engine';
import type { Tensor } from '../../src/tensor/tensor';
import { eventTranspositions, symmetricKl } from '../../src/tasks/spanet/upstreamLoss';
import { upstreamKlLoss } from '../../src/tasks/spanet/upstreamLossGpu';
import { expectClose } from '../helpers/opcheck';
import { testEngine } from '../helpers/engine';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

describe("upstream's event_transpositions", () => {
  it('S2, S3, the cyclic group C3 and the trivial group', () => {
    expect(eventTranspositions([[0, 1, 2]])).toEqual([]);
    expect(
      eventTranspositions([
        [0, 1],
        [1, 0],
      ]),
    ).toEqual([[0, 1]]);
    const s3 = [
      [0, 1, 2],
      [1, 0, 2],
      [2, 1, 0],
      [0, 2, 1],
      [1, 2, 0],
      [2, 0, 1],
    ];
    expect(eventTranspositions(s3)).toEqual([
      [0, 1],
      [0, 2],
      [1, 2],
    ]);
    // sympy's transpositions() of the 3-cycles: (first, other) per cycle, so (1, 2) never appears
    expect(
      eventTranspositions([
        [0, 1, 2],
        [1, 2, 0],
        [2, 0, 1],
      ]),
    ).toEqual([
      [0, 1],
      [0, 2],
    ]);
  });
});

/** Log-softmax rows [B, S] with −inf at `dead` entries (the same for both particles) and at `onlyHere`. */
function logSoftmaxRows(
  B: number,
  S: number,
  r: () => number,
  dead: (b: number, s: number) => boolean,
  onlyHere: Set<number>,
): Float64Array {
  const out = new Float64Array(B * S);
  for (let b = 0; b < B; b++) {
    const z = Array.from({ length: S }, (_, s) => (dead(b, s) || onlyHere.has(b * S + s) ? -Infinity : 3 * (r() - 0.5)));
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
    z.forEach((v, s) => (out[b * S + s] = v - lse));
  }
  return out;
}

describe('symmetric KL term on the GPU equals the f64 reference; gradient vs finite differences', () => {
  for (const [B, S] of [
    [1, 7],
    [7, 257],
    [7, 1],
  ]) {
    it(`B ${B}, S ${S}, three particles, transpositions (0,1), (0,2)`, async () => {
      const r = seededRandom(B * 1000 + S);
      const P = 3;
      const dead = (b: number, s: number) => S > 1 && (s + b) % 5 === 0;
      const logps = Array.from({ length: P }, (_, p) => logSoftmaxRows(B, S, r, dead, new Set(p === 0 && S > 1 ? [1] : [])));
      const masks = Array.from({ length: P }, (_, p) =>
        Float64Array.from({ length: B }, (_, b) => (b === 0 || r() < 0.7 || p === 0 ? 1 : 0)),
      );
      const w = Float64Array.from({ length: B }, () => 0.5 + r());
      const pairs: [number, number][] = [
        [0, 1],
        [0, 2],
      ];
      const ref = (lp: ArrayLike<number>[], fixed: ArrayLike<number>[] = lp) =>
        symmetricKl(B, lp, [S, S, S], masks, pairs, (b) => w[b], fixed);
      const inputs = logps.map((l) => e.fromArray(Float32Array.from(l), [B, S]));
      const maskT = masks.map((m) => e.fromArray(Float32Array.from(m), [B]));
      const wT = e.fromArray(Float32Array.from(w), [B, 1]);
      try {
        const { value, grads } = valueAndGrad((...xs) => upstreamKlLoss(xs as Tensor<'f32'>[], maskT, pairs, wT), inputs);
        const want = ref(logps);
        // f32 log-probabilities |log p| ≤ 7: exp(−div²) and its sums to 1e-5 relative
        expect(Math.abs((await value.read())[0] - want)).toBeLessThanOrEqual(1e-5 * Math.max(1, want));
        const gs = await Promise.all(grads.map((g) => g.read()));
        const h = 1e-6;
        for (let p = 0; p < P; p++) {
          const picks = Array.from({ length: Math.min(B * S, 24) }, (_, i) => Math.floor((i * B * S) / Math.min(B * S, 24)));
          const fd = picks.map((i) => {
            if (logps[p][i] === -Infinity) return 0;
            // upstream's gradient: p and q detached, so only the mixture moves
            const at = (delta: number) => {
              const moved = logps.map((l) => Float64Array.from(l));
              moved[p][i] += delta;
              return ref(moved, logps);
            };
            return (at(h) - at(-h)) / (2 * h);
          });
          // f32 gradients of O(1e-2) entries: 1e-3 relative plus 2e-5 absolute
          expectClose(
            picks.map((i) => gs[p][i]),
            fd,
            1e-3,
            2e-5,
            `particle ${p}`,
          );
          logps[p].forEach((v, i) => {
            if (v === -Infinity) expect(gs[p][i], `particle ${p} entry ${i} at −inf`).toBe(0);
          });
        }
        value.dispose();
        grads.forEach((g) => g.dispose());
      } finally {
        [...inputs, ...maskT, wT].forEach((x) => x.dispose());
      }
    });
  }

  it('an entry −inf on one side only is left out (upstream nansum), not scored as q·ln 2', () => {
    const B = 1,
      S = 3;
    const a = [Math.log(0.5), Math.log(0.5), -Infinity],
      b = [Math.log(0.25), Math.log(0.25), Math.log(0.5)];
    const got = symmetricKl(B, [a, b], [S, S], [[1], [1]], [[0, 1]], () => 1);
    // by hand: the two shared entries only
    let div = 0;
    for (let i = 0; i < 2; i++) {
      const m = Math.log((Math.exp(a[i]) + Math.exp(b[i])) / 2);
      div += (Math.exp(a[i]) * (a[i] - m) + Math.exp(b[i]) * (b[i] - m)) / 2;
    }
    expect(got).toBeCloseTo((2 * 2 * Math.exp(-div * div)) / 2, 10);
  });
});
