import { seededRandom } from '../../src/nn/init';

/** n seeded uniform values in [lo, hi): both implementations get the same inputs. */
export function uniformF32(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rand());
}
