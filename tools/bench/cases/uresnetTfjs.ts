/**
 * The U-ResNet of src/nn/uresnet.ts rebuilt with tfjs layers in NHWC (tfjs's native layout;
 * NCHW convolutions have no gradient kernels on its WebGPU backend), from our weights.
 * Layer by layer the same: conv2d (explicit padding) + bias, instance norm by tf.moments,
 * ReLU, 2×2 max pooling, ×2 nearest upsampling by tf.image.resizeNearestNeighbor,
 * channel concat [upsampled, skip], the planes joined on channels at the deepest layer.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BlockSeries, ConvBlock, Deepest, Level, ResidualBlock, type UResNet } from '../../../src/nn/uresnet';
import type { Tensor } from '../../../src/tensor/tensor';
import { hwioToOihw, oihwToHwio } from './convLayout';

type X = tf.Tensor4D;

export class TfjsUResNet {
  /** One variable per parameter of ours, in the same order as `model.parameters()`. */
  readonly vars: tf.Variable[] = [];
  /** Converts a tfjs gradient of vars[i] into our layout. */
  readonly toOurs: ((g: Float32Array) => Float32Array)[] = [];
  private byTensor = new Map<Tensor<'f32'>, tf.Variable>();

  private constructor(readonly model: UResNet) {}

  /** Reads our parameters back and makes tfjs variables of them. */
  static async fromOurs(model: UResNet): Promise<TfjsUResNet> {
    const net = new TfjsUResNet(model);
    for (const [name, p] of model.namedParameters()) {
      const data = await p.read();
      const conv = p.rank === 4;
      const shape = conv ? [p.shape[2], p.shape[3], p.shape[1], p.shape[0]] : [...p.shape];
      const v = tf.variable(
        tf.tensor(conv ? oihwToHwio(data, p.shape) : data, shape),
        true,
        `uresnet_${name}_${Math.random().toString(36).slice(2)}`,
      );
      net.vars.push(v);
      net.toOurs.push(conv ? (g) => hwioToOihw(g, p.shape) : (g) => g);
      net.byTensor.set(p, v);
    }
    return net;
  }

  private v(t: Tensor<'f32'>): tf.Variable {
    const v = this.byTensor.get(t);
    if (!v) throw new Error('tfjs U-ResNet: a parameter of ours has no variable');
    return v;
  }

  private conv(b: ConvBlock, x: X): X {
    let y = tf.conv2d(
      x,
      this.v(b.weight) as tf.Tensor4D,
      b.stride,
      b.pad === 0
        ? 'valid'
        : [
            [0, 0],
            [b.pad, b.pad],
            [b.pad, b.pad],
            [0, 0],
          ],
    );
    if (b.bias) y = tf.add(y, this.v(b.bias)) as X;
    if (b.gamma && b.beta) {
      // Instance norm: per image and channel over H×W, biased variance, ε = 1e-5 as ours.
      const { mean, variance } = tf.moments(y, [1, 2], true);
      y = tf.add(tf.mul(tf.mul(tf.sub(y, mean), tf.rsqrt(tf.add(variance, 1e-5))), this.v(b.gamma)), this.v(b.beta)) as X;
    }
    return b.activation ? tf.relu(y) : y;
  }

  private block(b: ConvBlock | ResidualBlock, x: X): X {
    if (b instanceof ResidualBlock) return tf.relu(tf.add(this.conv(b.b, this.conv(b.a, x)), x)) as X;
    return this.conv(b, x);
  }

  private series(s: BlockSeries, x: X): X {
    return s.blocks.reduce((h, b) => this.block(b, h), x);
  }

  private deepest(d: Deepest, x: X): X {
    const [N, h, w, C] = x.shape;
    const P = d.cfg.planes;
    // Ours joins [N, C, h, w] → [N/P, P·C, h, w]: channel p·C + c is plane p's channel c.
    const joined = d.cfg.joinPlanes
      ? (tf.reshape(tf.transpose(tf.reshape(x, [N / P, P, h, w, C]), [0, 2, 3, 1, 4]), [N / P, h, w, P * C]) as X)
      : x;
    const y = this.conv(d.up, this.series(d.blocks, this.conv(d.down, joined)));
    return d.cfg.joinPlanes ? (tf.reshape(tf.transpose(tf.reshape(y, [N / P, h, w, P, C]), [0, 3, 1, 2, 4]), [N, h, w, C]) as X) : y;
  }

  private level(l: Level, x: X): X {
    const skip = x;
    let y = this.series(l.downBlocks, x);
    y = this.conv(l.downsample, l.cfg.downsampling === 'convolutional' ? y : tf.maxPool(y, 2, 2, 'valid'));
    y = l.inner instanceof Level ? this.level(l.inner, y) : this.deepest(l.inner, y);
    const [, h, w] = y.shape;
    y = this.conv(l.upsample, tf.image.resizeNearestNeighbor(y, [2 * h, 2 * w]));
    if (l.cfg.connections === 'sum') y = tf.add(y, skip) as X;
    else if (l.merge) y = this.conv(l.merge, tf.concat([y, skip], 3));
    return this.series(l.upBlocks, y);
  }

  /** x [B·P, H, W, 1] → logits [B·P, H, W, classes]. */
  forward(x: X): X {
    const m = this.model;
    const h = this.conv(m.initial, x);
    const core = m.core instanceof Level ? this.level(m.core, h) : this.deepest(m.core, h);
    return this.conv(m.classifier, this.series(m.final, core));
  }

  dispose(): void {
    tf.dispose(this.vars);
  }
}

/**
 * Σ over planes of the weighted mean cross-entropy of the plane (ours: segmentationCrossEntropy):
 * logits [B·P, H, W, C], one-hot labels [B·P, H, W, C], pixel weights [B·P, H, W] (the class
 * weight of each pixel's label), weight sums per plane [P].
 */
export function planeCrossEntropy(logits: X, oneHot: X, pixelWeight: tf.Tensor3D, planeWeightSum: tf.Tensor1D, planes: number): tf.Scalar {
  const ce = tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 3)); // [B·P, H, W]
  const perImage = tf.sum(tf.mul(pixelWeight, ce), [1, 2]); // [B·P]
  const perPlane = tf.sum(tf.reshape(perImage, [-1, planes]), 0); // [P]
  return tf.sum(tf.div(perPlane, planeWeightSum));
}
