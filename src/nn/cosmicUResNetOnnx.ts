import { attr, OnnxGraphBuilder } from '../export/onnx';
import type { Tensor } from '../tensor/tensor';
import {
  Block,
  BlockSeries,
  ConcatConnection,
  ConvolutionUpsample,
  CosmicUResNet,
  DeepestBlock,
  InterpolationUpsample,
  MaxPooling,
  ResidualBlock,
  UNetCore,
  XavierConv2d,
  COSMIC_CLASSES,
} from './cosmicUResNet';
import type { ConvTranspose2d, BatchNorm2d } from './layers';

/**
 * CosmicUResNet as ONNX (opset 17), in eval mode (batch norm with the running statistics):
 * input `image` float32 [B, 3, H, W] (H = time, W = wire; B, H, W dynamic), output
 * `logits` float32 [B, 3 planes, 3 classes, H, W] — upstream's tuple of per-plane logits
 * stacked on axis 1. Initialisers carry the state-dict names; the planes share them.
 * Ops: Slice, Conv, BatchNormalization, LeakyRelu, Add, MaxPool, Resize (linear,
 * pytorch_half_pixel = torch's bilinear align_corners=False), ConvTranspose, Concat, Unsqueeze.
 */
export async function cosmicUResNetToOnnx(model: CosmicUResNet): Promise<Uint8Array> {
  const sd = await model.stateDict();
  const names = new Map<Tensor, string>(model.stateLayout().map(([n, { tensor }]) => [tensor, n]));
  const b = new OnnxGraphBuilder('cosmic_uresnet', 'CosmicTagger UResNet: background / cosmic / neutrino per pixel of 3 wire planes');
  const made = new Map<Tensor, string>();
  const init = (t: Tensor): string => {
    let v = made.get(t);
    if (!v) {
      const n = names.get(t)!;
      v = b.initializer(n, { dtype: 'float', dims: [...t.shape], data: sd[n].data as Float32Array });
      made.set(t, v);
    }
    return v;
  };
  const i64 = (base: string, v: number[]) => b.int64s(base, v);
  const leaky = (x: string) => b.node('LeakyRelu', [x], { alpha: attr.float(0.01) });
  const norm = (x: string, n: BatchNorm2d | null) =>
    n
      ? b.node('BatchNormalization', [x, init(n.weight), init(n.bias), init(n.runningMean), init(n.runningVar)], {
          epsilon: attr.float(n.eps),
        })
      : x;
  const conv = (x: string, c: XavierConv2d) =>
    b.node('Conv', c.bias ? [x, init(c.weight), init(c.bias)] : [x, init(c.weight)], {
      kernel_shape: attr.ints([c.k, c.k]),
      strides: attr.ints([c.stride, c.stride]),
      pads: attr.ints([c.padding, c.padding, c.padding, c.padding]),
    });
  const convT = (x: string, c: ConvTranspose2d) =>
    b.node('ConvTranspose', c.bias ? [x, init(c.weight), init(c.bias)] : [x, init(c.weight)], {
      kernel_shape: attr.ints([c.kernelSize, c.kernelSize]),
      strides: attr.ints([c.stride, c.stride]),
    });
  const block = (x: string, k: Block) => {
    const y = norm(conv(x, k.conv), k.norm);
    return k.activation ? leaky(y) : y;
  };
  const series = (x: string, s: BlockSeries) => {
    for (const k of s.blocks.items) {
      x = k instanceof ResidualBlock ? leaky(b.node('Add', [block(block(x, k.convolution_1), k.convolution_2), x])) : block(x, k);
    }
    return x;
  };
  const channelSlice = (x: string, from: number, to: number) =>
    b.node('Slice', [x, i64('starts', [from]), i64('ends', [to]), i64('axes', [1])]);
  const deepest = (xs: string[], d: DeepestBlock): string[] => {
    const core = (x: string) => block(series(block(x, d.bottleneck), d.blocks), d.unbottleneck);
    if (d.cfg.block_concat) return xs.map(core);
    const y = core(b.node('Concat', xs, { axis: attr.int(1) }));
    const c = d.unbottleneck.conv.weight.shape[0] / xs.length;
    return xs.map((_, p) => channelSlice(y, p * c, (p + 1) * c));
  };
  const level = (xs: string[], l: UNetCore): string[] => {
    if (l.depth === 0) return deepest(xs, l.main_module as DeepestBlock);
    let ys = xs.map((x) => {
      const y = series(x, l.down_blocks!);
      const ds = l.downsample!;
      return ds instanceof MaxPooling
        ? block(b.node('MaxPool', [y], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) }), ds.bottleneck)
        : block(y, ds);
    });
    ys = level(ys, l.main_module as UNetCore);
    return ys.map((y, p) => {
      const up = l.upsample!;
      if (up instanceof InterpolationUpsample) {
        const r = b.node('Resize', [y, '', b.floats('scales', [1, 1, 2, 2])], {
          mode: attr.string('linear'),
          coordinate_transformation_mode: attr.string('pytorch_half_pixel'),
        });
        y = block(r, up.bottleneck);
      } else {
        const cu = up as ConvolutionUpsample;
        y = leaky(norm(convT(y, cu.conv), cu.norm));
      }
      if (l.cfg.connections === 'sum') y = b.node('Add', [y, xs[p]]);
      else if (l.connection instanceof ConcatConnection)
        y = block(b.node('Concat', [y, xs[p]], { axis: attr.int(1) }), l.connection.bottleneck);
      return series(y, l.up_blocks!);
    });
  };

  const P = model.planes;
  const image = b.input('image', 'float', ['B', P, 'H', 'W'], 'wire-plane charge [batch, plane, time, wire]');
  let xs = Array.from({ length: P }, (_, p) => block(channelSlice(image, p, p + 1), model.initial_convolution));
  xs = level(xs, model.net_core);
  const logits = xs.map((x) => b.node('Unsqueeze', [conv(series(x, model.final_layer), model.bottleneck), i64('plane_axis', [1])]));
  b.output(b.alias(P === 1 ? logits[0] : b.node('Concat', logits, { axis: attr.int(1) }), 'logits'), 'float', [
    'B',
    P,
    COSMIC_CLASSES,
    'H',
    'W',
  ]);
  return b.encode({
    metadata: {
      planes: String(P),
      classes: 'background,cosmic,neutrino',
      network: JSON.stringify(model.cfg),
      layout: 'image [B, plane, time, wire]',
    },
  });
}
