/**
 * Upstream's create_dropout (options `dropout`): nn.Dropout(p) in the linear blocks when p > 0,
 * the identity otherwise. Masks are hashed from a per-module seed and forward count (the
 * engine's Dropout), so a seed is drawn only when p > 0: with p = 0 the initial weights drawn
 * from `rand` stay what they were before dropout was ported.
 */
import type { Engine } from '../../tensor/engine';
import type { Tensor } from '../../tensor/tensor';
import type { SpanetOptions } from '../../tasks/spanet/options';
import { Dropout } from '../layers/dropout';

/** options.dropout, refused outside [0, 1) (the engine's attention dropout needs p < 1). */
export function dropoutRate(options: SpanetOptions): number {
  const p = Number(options.dropout);
  if (!(p >= 0 && p < 1)) throw new Error(`upstream SPANet network: dropout = ${String(options.dropout)} must be in [0, 1)`);
  return p;
}

/** A 32-bit mask seed for one dropout site (0 when p = 0: nothing is drawn). */
export const dropoutSeed = (p: number, rand: () => number): number => (p > 0 ? Math.floor(rand() * 4294967296) >>> 0 : 0);

/** nn.Dropout(p) for p > 0, null (the identity) for p = 0. */
export const createDropout = (engine: Engine, p: number, rand: () => number): Dropout | null =>
  p > 0 ? new Dropout(engine, p, dropoutSeed(p, rand)) : null;

export const applyDropout = (d: Dropout | null, x: Tensor<'f32'>): Tensor<'f32'> => (d ? d.forward(x) : x);
