import { attr, OnnxGraphBuilder } from '../export/onnx';
import type { Tensor } from '../tensor/tensor';
import type { Module } from './module';
import { ConvBlock, UResNet, type UResNetModules } from './uresnet';

type Weights = Map<Tensor, Float32Array>;

/**
 * The U-ResNet as an ONNX graph (opset 17): Conv, InstanceNormalization, Relu, Add,
 * MaxPool, Resize (nearest, floor of asymmetric coordinates = the WGSL upsample), Concat,
 * Reshape (planes joined at the deepest layer). Input "images" [N·P, 1, H, W] with N free,
 * output "logits" [N·P, classes, H, W]. Weights are read from the GPU first.
 */
export async function uresnetToOnnx(model: UResNet, height: number, width: number): Promise<Uint8Array> {
  const weights: Weights = new Map();
  for (const [, t] of model.namedParameters()) weights.set(t, await t.read());
  const names = new Map<Tensor, string>(model.namedParameters().map(([n, t]) => [t, n]));
  // Node names are the blocks' module paths, as the initialisers are the parameters' names.
  const paths = new Map<Module, string>([...model.namedModules()].map(([n, m]) => [m, n]));
  const b = new OnnxGraphBuilder('uresnet', 'U-ResNet segmentation of wire-plane images (cosmic tagging)');
  const param = (t: Tensor) => b.floats(names.get(t)!, weights.get(t)!, [...t.shape]);
  const cfg = model.cfg;

  const conv = (x: string, c: ConvBlock): string => {
    const path = paths.get(c)!;
    const inputs = [x, param(c.weight)];
    if (c.bias) inputs.push(param(c.bias));
    let y = b.node(
      'Conv',
      inputs,
      {
        kernel_shape: attr.ints([c.k, c.k]),
        strides: attr.ints([c.stride, c.stride]),
        pads: attr.ints([c.pad, c.pad, c.pad, c.pad]),
      },
      `${path}.conv`,
    );
    if (c.gamma && c.beta)
      y = b.node('InstanceNormalization', [y, param(c.gamma), param(c.beta)], { epsilon: attr.float(1e-5) }, `${path}.norm`);
    return c.activation ? b.node('Relu', [y]) : y;
  };
  const series = (x: string, blocks: UResNetModules['series']): string => {
    for (const blk of blocks.blocks) {
      x = blk instanceof ConvBlock ? conv(x, blk) : b.node('Relu', [b.node('Add', [conv(conv(x, blk.a), blk.b), x])]);
    }
    return x;
  };
  /** Output side of the level's input: height / 2^(levels above). */
  const deepest = (x: string, d: UResNetModules['deepest'], h: number, w: number): string => {
    const P = cfg.planes;
    const joined = cfg.joinPlanes ? b.node('Reshape', [x, b.int64s('join_shape', [-1, P * d.ch, h, w])]) : x;
    const y = conv(series(conv(joined, d.down), d.blocks), d.up);
    return cfg.joinPlanes ? b.node('Reshape', [y, b.int64s('split_shape', [-1, d.ch, h, w])]) : y;
  };
  const level = (x: string, l: UResNetModules['level'] | UResNetModules['deepest'], h: number, w: number): string => {
    if (!('downBlocks' in l)) return deepest(x, l, h, w);
    const skip = x;
    let y = series(x, l.downBlocks);
    if (cfg.downsampling !== 'convolutional') y = b.node('MaxPool', [y], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) });
    y = conv(y, l.downsample);
    y = level(y, l.inner, h / 2, w / 2);
    y = b.node('Resize', [y, '', b.floats('up_scales', [1, 1, 2, 2])], {
      mode: attr.string('nearest'),
      coordinate_transformation_mode: attr.string('asymmetric'),
      nearest_mode: attr.string('floor'),
    });
    y = conv(y, l.upsample);
    if (cfg.connections === 'sum') y = b.node('Add', [y, skip]);
    else if (l.merge) y = conv(b.node('Concat', [y, skip], { axis: attr.int(1) }), l.merge);
    return series(y, l.upBlocks);
  };

  const x = b.input('images', 'float', ['N', 1, height, width], 'plane images, plane p of event e at row e·P + p');
  const core = level(conv(x, model.initial), model.core, height, width);
  const logits = conv(series(core, model.final), model.classifier);
  b.output(b.alias(logits, 'logits'), 'float', ['N', cfg.classes, height, width]);
  return b.encode({ metadata: { planes: String(cfg.planes), classes: 'background,cosmic,neutrino' } });
}
