import { seededRandom } from '../../src/nn/init';

/** The engine's seeded PRNG, so test failures reproduce. */
export const rng = seededRandom;

export function uniform(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * r());
}
