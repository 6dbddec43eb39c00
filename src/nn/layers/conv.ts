import type { Engine } from '../../tensor/engine';
import { conv2d } from '../../tensor/ops/conv2d';
import { convTranspose2d } from '../../tensor/ops/convTranspose';
import type { Tensor } from '../../tensor/tensor';
import { fanInOut, kaimingUniform, uniformInit, type WeightInit } from '../init';
import { Module } from '../module';

export interface ConvOptions {
  stride?: number;
  padding?: number;
  /** Default true, as torch. */
  bias?: boolean;
  /** Weight initialiser; default torch's kaiming_uniform(a = √5). The bias always draws torch's U(±1/√fan_in). */
  init?: WeightInit;
}

/** Weight and optional bias with torch's default initialisation (fan_in read from the weight shape as torch does). */
function convParams(
  m: Module,
  shape: number[],
  rand: () => number,
  opts: ConvOptions,
  outChannels: number,
): [Tensor<'f32'>, Tensor<'f32'> | null] {
  const weight = m.parameter('weight', (opts.init ?? kaimingUniform)(shape, rand), shape);
  const bound = 1 / Math.sqrt(fanInOut(shape).fanIn);
  const bias =
    opts.bias === false ? m.registerParameter('bias', null) : m.parameter('bias', uniformInit(outChannels, bound, rand), [outChannels]);
  return [weight, opts.bias === false ? null : bias];
}

/** torch.nn.Conv2d with a square kernel and zero padding: weight [out, in, k, k], bias [out]. */
export class Conv2d extends Module {
  readonly weight: Tensor<'f32'>;
  readonly bias: Tensor<'f32'> | null;
  readonly stride: number;
  readonly padding: number;

  constructor(
    engine: Engine,
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    rand: () => number,
    opts: ConvOptions = {},
  ) {
    super(engine);
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    [this.weight, this.bias] = convParams(this, [outChannels, inChannels, kernelSize, kernelSize], rand, opts, outChannels);
  }

  /** x [N, in, H, W] → [N, out, Ho, Wo]. */
  forward(x: Tensor<'f32'>): Tensor<'f32'> {
    return conv2d(x, this.weight, this.bias ?? undefined, { stride: this.stride, pad: this.padding });
  }
}

/** torch.nn.ConvTranspose2d (groups 1, dilation 1): weight [in, out, k, k], bias [out]. */
export class ConvTranspose2d extends Module {
  readonly weight: Tensor<'f32'>;
  readonly bias: Tensor<'f32'> | null;
  readonly stride: number;
  readonly padding: number;
  readonly outputPadding: number;

  constructor(
    engine: Engine,
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    rand: () => number,
    opts: ConvOptions & { outputPadding?: number } = {},
  ) {
    super(engine);
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    this.outputPadding = opts.outputPadding ?? 0;
    [this.weight, this.bias] = convParams(this, [inChannels, outChannels, kernelSize, kernelSize], rand, opts, outChannels);
  }

  /** x [N, in, H, W] → [N, out, (H - 1)·s - 2·p + k + output_padding, …]. */
  forward(x: Tensor<'f32'>): Tensor<'f32'> {
    return convTranspose2d(x, this.weight, this.bias ?? undefined, {
      stride: this.stride,
      padding: this.padding,
      outputPadding: this.outputPadding,
    });
  }
}
