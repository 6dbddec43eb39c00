import type { Uniform } from '../../gpu/context';
import { grid1d } from '../../gpu/grid';
import { SHADERS } from '../../gpu/shaders';
import { dropoutRef } from '../reference/dropout';
import { registerOp } from '../registry';
import type { Tensor } from '../tensor';

export interface DropoutAttrs {
  /** Probability of zeroing an element, in [0, 1). */
  p: number;
  /** Selects the mask: the same seed drops the same elements. */
  seed: number;
}

function uniforms(n: number, { p, seed }: DropoutAttrs): Uniform[] {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p = ${p} must be in [0, 1) (p = 1 is a zero tensor)`);
  return [
    ['u32', n],
    ['u32', seed >>> 0],
    ['f32', p],
    ['f32', 1 / (1 - p)],
  ];
}

/** Inverted dropout with a hashed mask (torch.nn.functional.dropout in train mode, scaling 1 / (1 - p)). */
export const dropoutOp = registerOp<DropoutAttrs>({
  name: 'dropout',
  differentiable: [true],
  forward(e, [x], at) {
    const y = e.empty(x.shape);
    e.gpu.dispatch(SHADERS.dropout, 'dropout_apply', [x.buffer, y.buffer], grid1d(x.size), uniforms(x.size, at));
    return { output: y };
  },
  backward(e, node, dy) {
    const dx = e.empty(dy.shape);
    e.gpu.dispatch(SHADERS.dropout, 'dropout_apply', [dy.buffer, dx.buffer], grid1d(dy.size), uniforms(dy.size, node.attrs));
    return [dx];
  },
  reference: ([x], at) => dropoutRef(x, at.p, at.seed),
});

export const dropout = (x: Tensor<'f32'>, p: number, seed: number): Tensor<'f32'> =>
  x.engine.apply(dropoutOp, [x], { p, seed }) as Tensor<'f32'>;
