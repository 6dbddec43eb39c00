/** Seeded PRNG (mulberry32) for reproducible weight initialisation and toy data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples by Box–Muller. */
export function normalSampler(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** He (Kaiming) uniform init for a [fanIn, fanOut] weight: keeps ReLU activations O(1). */
export function heUniform(fanIn: number, fanOut: number, rand: () => number): Float32Array {
  const bound = Math.sqrt(6 / fanIn);
  return Float32Array.from({ length: fanIn * fanOut }, () => (2 * rand() - 1) * bound);
}
