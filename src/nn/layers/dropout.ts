import { replayable } from '../../tensor/checkpoint';
import type { Engine } from '../../tensor/engine';
import { dropout } from '../../tensor/ops/dropout';
import { scale } from '../../tensor/ops/elementwise';
import { mix32 } from '../../tensor/reference/dropout';
import type { Tensor } from '../../tensor/tensor';
import { Module } from '../module';

/**
 * torch.nn.Dropout: in train mode zeroes each element with probability p and scales the rest
 * by 1 / (1 - p); identity in eval mode. Masks are seeded: forward k of a module built with
 * seed s uses mask (s, k), so a run reproduces (torch's RNG stream is not reproduced).
 */
export class Dropout extends Module {
  /** Train-mode forwards so far (selects the next mask). */
  step = 0;

  constructor(
    engine: Engine,
    readonly p = 0.5,
    readonly seed = 0,
  ) {
    super(engine);
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: p = ${p} must be in [0, 1]`);
  }

  forward(x: Tensor<'f32'>): Tensor<'f32'> {
    if (!this.training || this.p === 0) return x;
    if (this.p === 1) return scale(x, 0);
    // replayable: a checkpoint's re-run of this forward must draw the same mask.
    const k = replayable(this.engine, () => this.step++);
    return dropout(x, this.p, mix32((this.seed ^ mix32(k)) >>> 0));
  }
}
