/**
 * The seeded pair sampler of the tiger loss's max_n_rep option, identical to
 * hash_u32 / pair_uniform in shaders/oc_common.wgsl, so that the f64 reference keeps exactly
 * the pairs the GPU keeps.
 */
export function hashU32(v: number): number {
  const s = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const w = Math.imul(((s >>> ((s >>> 28) + 4)) ^ s) >>> 0, 277803737) >>> 0;
  return ((w >>> 22) ^ w) >>> 0;
}

/** Uniform in [0, 1) on a 2^-24 grid for the pair (hit j, object k). */
export function pairUniform(seed: number, j: number, k: number): number {
  const h = hashU32((seed ^ hashU32((k ^ hashU32(j)) >>> 0)) >>> 0);
  return (h >>> 8) / 16777216;
}

/** The keep probability as the GPU computes it (f32 division). */
export function keepProbability(maxNRep: number, nRep: number): number {
  return Math.fround(Math.fround(maxNRep) / Math.fround(nRep));
}
