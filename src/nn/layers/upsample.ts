import type { Engine } from '../../tensor/engine';
import { upsampleBilinear } from '../../tensor/ops/bilinear';
import { upsampleNearest } from '../../tensor/ops/upsample';
import type { Tensor } from '../../tensor/tensor';
import { Module } from '../module';

export interface UpsampleOptions {
  /** torch's scale_factor (output floor(in · scale)); or give `size`. */
  scaleFactor?: number | [number, number];
  size?: [number, number];
  /** 'bilinear' (align_corners=False, the default here) or 'nearest' (integer factors). */
  mode?: 'bilinear' | 'nearest';
}

/** torch.nn.Upsample on x [N, C, H, W]; no parameters. */
export class Upsample extends Module {
  constructor(
    engine: Engine,
    readonly opts: UpsampleOptions,
  ) {
    super(engine);
    if (!opts.size && opts.scaleFactor === undefined) throw new Error('Upsample: give scaleFactor or size');
  }

  forward(x: Tensor<'f32'>): Tensor<'f32'> {
    const { mode = 'bilinear', scaleFactor, size } = this.opts;
    if (mode === 'bilinear') return upsampleBilinear(x, { scale: scaleFactor, size });
    if (typeof scaleFactor !== 'number' || !Number.isInteger(scaleFactor) || size) {
      throw new Error('Upsample: nearest mode supports one integer scaleFactor only');
    }
    return upsampleNearest(x, scaleFactor);
  }
}
