import type { Uniform } from '../../gpu/context';
import { grid1d } from '../../gpu/grid';
import { SHADERS } from '../../gpu/shaders';
import { bilinearRef, type BilinearGeometry } from '../reference/bilinear';
import { registerOp } from '../registry';
import type { Tensor } from '../tensor';

export type BilinearAttrs = BilinearGeometry;

function uniforms(x: Tensor, g: BilinearAttrs): Uniform[] {
  if (x.rank !== 4) throw new Error(`bilinear: need x [N, C, H, W], got [${x.shape}]`);
  if (!(g.outH >= 1 && g.outW >= 1) || !(g.ratioH > 0 && g.ratioW > 0)) throw new Error(`bilinear: bad geometry ${JSON.stringify(g)}`);
  const [N, C, H, W] = x.shape;
  return [
    ['u32', N * C],
    ['u32', H],
    ['u32', W],
    ['u32', g.outH],
    ['u32', g.outW],
    ['f32', g.ratioH],
    ['f32', g.ratioW],
    ['u32', 0],
  ];
}

/** Bilinear resampling, align_corners=False (torch F.interpolate / nn.Upsample mode='bilinear'). */
export const bilinearOp = registerOp<BilinearAttrs>({
  name: 'bilinear',
  differentiable: [true],
  forward(e, [x], g) {
    const u = uniforms(x, g);
    const y = e.empty([x.shape[0], x.shape[1], g.outH, g.outW]);
    e.gpu.dispatch(SHADERS.bilinear, 'bilinear_forward', [x.buffer, y.buffer], grid1d(y.size), u);
    return { output: y };
  },
  backward(e, node, dy) {
    const x = node.inputs[0];
    const dx = e.empty(x.shape);
    e.gpu.dispatch(SHADERS.bilinear, 'bilinear_backward', [dy.buffer, dx.buffer], grid1d(x.size), uniforms(x, node.attrs));
    return [dx];
  },
  reference: ([x], g) => bilinearRef(x, g),
});

/**
 * torch's F.interpolate(x, mode='bilinear', align_corners=False) with either `scale`
 * (scale_factor: the source step is 1/scale, output floor(in·scale)) or `size` (step in/out).
 */
export function bilinearGeometry(
  H: number,
  W: number,
  opts: { scale?: number | [number, number]; size?: [number, number] },
): BilinearGeometry {
  if (opts.size) {
    const [outH, outW] = opts.size;
    return { outH, outW, ratioH: H / outH, ratioW: W / outW };
  }
  if (opts.scale === undefined) throw new Error('bilinear: give a scale factor or an output size');
  const [sh, sw] = typeof opts.scale === 'number' ? [opts.scale, opts.scale] : opts.scale;
  return { outH: Math.floor(H * sh), outW: Math.floor(W * sw), ratioH: 1 / sh, ratioW: 1 / sw };
}

export function upsampleBilinear(x: Tensor<'f32'>, opts: { scale?: number | [number, number]; size?: [number, number] }): Tensor<'f32'> {
  if (x.rank !== 4) throw new Error(`upsampleBilinear: need x [N, C, H, W], got [${x.shape}]`);
  return x.engine.apply(bilinearOp, [x], bilinearGeometry(x.shape[2], x.shape[3], opts)) as Tensor<'f32'>;
}
