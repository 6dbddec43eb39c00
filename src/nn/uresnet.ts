import type { Engine } from '../tensor/engine';
import { add, relu } from '../tensor/ops/elementwise';
import { conv2d } from '../tensor/ops/conv2d';
import { concatChannels } from '../tensor/ops/concat';
import { instanceNorm } from '../tensor/ops/norm';
import { maxPool2d } from '../tensor/ops/pool';
import { reshape } from '../tensor/ops/reshape';
import { upsampleNearest } from '../tensor/ops/upsample';
import type { Tensor } from '../tensor/tensor';
import { heUniform } from './init';
import { Module, ModuleList } from './module';

/**
 * U-ResNet for multi-plane segmentation, configured like CosmicTagger's uresnet2D: an initial
 * 5×5 convolution, `depth` levels of (blocks → downsample → deeper level → upsample →
 * connection → blocks), a deepest block where the planes are joined, final blocks and a
 * 1×1 classifier. The planes share every weight: they travel as the batch, image n being
 * plane n % P of event ⌊n / P⌋. Joining at the deepest layer is a reshape
 * [B·P, C, h, w] → [B, P·C, h, w] (the planes of an event are adjacent in memory).
 * Differences from CosmicTagger: ReLU instead of leaky ReLU, instance norm instead of batch
 * norm, nearest instead of bilinear upsampling.
 */
export interface UResNetConfig {
  planes: number;
  classes: number;
  /** Downsampling levels (the image side must be divisible by 2^depth). */
  depth: number;
  initialFilters: number;
  blocksPerLayer: number;
  blocksDeepest: number;
  blocksFinal: number;
  residual: boolean;
  connections: 'concat' | 'sum' | 'none';
  /** Filters of the next level: F + F₀ (additive) or 2F (multiplicative). */
  growth: 'additive' | 'multiplicative';
  bottleneckDeepest: number;
  filterSizeDeepest: number;
  downsampling: 'max_pooling' | 'convolutional';
  normalization: 'instance' | 'none';
  bias: boolean;
  /** Join the planes at the deepest layer (CosmicTagger's block_concat = false). */
  joinPlanes: boolean;
}

export const DEFAULT_URESNET: UResNetConfig = {
  planes: 3,
  classes: 3,
  depth: 2,
  initialFilters: 8,
  blocksPerLayer: 1,
  blocksDeepest: 1,
  blocksFinal: 1,
  residual: true,
  connections: 'concat',
  growth: 'additive',
  bottleneckDeepest: 32,
  filterSizeDeepest: 3,
  downsampling: 'max_pooling',
  normalization: 'instance',
  bias: true,
  joinPlanes: true,
};

type T = Tensor<'f32'>;

/** The module types, for walkers such as the ONNX exporter. */
export interface UResNetModules {
  series: BlockSeries;
  level: Level;
  deepest: Deepest;
}

/** Square-kernel convolution, weight [out, in, k, k] as torch.nn.Conv2d. */
export class Conv2d extends Module {
  readonly weight: T;
  readonly bias: T | null;
  constructor(
    engine: Engine,
    inC: number,
    outC: number,
    readonly k: number,
    bias: boolean,
    rand: () => number,
  ) {
    super(engine);
    this.weight = this.parameter('weight', heUniform(inC * k * k, outC, rand), [outC, inC, k, k]);
    this.bias = bias ? this.parameter('bias', new Float32Array(outC), [outC]) : this.registerParameter('bias', null);
  }
}

/** Per image and channel normalisation with a learned scale and shift (torch.nn.InstanceNorm2d(affine=True)). */
export class InstanceNorm2d extends Module {
  readonly weight: T;
  readonly bias: T;
  constructor(engine: Engine, channels: number) {
    super(engine);
    this.weight = this.parameter('weight', new Float32Array(channels).fill(1), [channels]);
    this.bias = this.parameter('bias', new Float32Array(channels), [channels]);
  }
}

/** conv → (norm) → (ReLU); square kernel, "same" padding unless strided. */
export class ConvBlock extends Module {
  readonly conv: Conv2d;
  readonly norm: InstanceNorm2d | null;
  readonly stride: number;
  readonly pad: number;
  readonly activation: boolean;

  constructor(
    engine: Engine,
    rand: () => number,
    inC: number,
    readonly outC: number,
    readonly k: number,
    cfg: UResNetConfig,
    opts: { stride?: number; activation?: boolean } = {},
  ) {
    super(engine);
    this.stride = opts.stride ?? 1;
    this.pad = this.stride === 1 ? (k - 1) / 2 : 0;
    this.activation = opts.activation ?? true;
    this.conv = this.registerModule('conv', new Conv2d(engine, inC, outC, k, cfg.bias, rand));
    this.norm = this.registerModule('norm', cfg.normalization === 'instance' ? new InstanceNorm2d(engine, outC) : null);
  }

  // Shorthands for walkers (ONNX, the tfjs twin of the benchmark).
  get weight(): T {
    return this.conv.weight;
  }
  get bias(): T | null {
    return this.conv.bias;
  }
  get gamma(): T | null {
    return this.norm?.weight ?? null;
  }
  get beta(): T | null {
    return this.norm?.bias ?? null;
  }

  forward(x: T): T {
    let y = conv2d(x, this.conv.weight, this.conv.bias ?? undefined, { stride: this.stride, pad: this.pad });
    if (this.norm) y = instanceNorm(y, this.norm.weight, this.norm.bias);
    return this.activation ? relu(y) : y;
  }
}

/** relu(block₂(block₁(x)) + x), block₂ without activation. */
export class ResidualBlock extends Module {
  readonly a: ConvBlock;
  readonly b: ConvBlock;
  constructor(engine: Engine, rand: () => number, ch: number, k: number, cfg: UResNetConfig) {
    super(engine);
    this.a = this.registerModule('a', new ConvBlock(engine, rand, ch, ch, k, cfg));
    this.b = this.registerModule('b', new ConvBlock(engine, rand, ch, ch, k, cfg, { activation: false }));
  }
  forward(x: T): T {
    return relu(add(this.b.forward(this.a.forward(x)), x));
  }
}

/** Blocks named 0, 1, … applied in order. */
export class BlockSeries extends ModuleList<ConvBlock | ResidualBlock> {
  constructor(engine: Engine, rand: () => number, ch: number, n: number, k: number, cfg: UResNetConfig) {
    super(engine);
    for (let i = 0; i < n; i++)
      this.append(cfg.residual ? new ResidualBlock(engine, rand, ch, k, cfg) : new ConvBlock(engine, rand, ch, ch, k, cfg));
  }
  get blocks(): (ConvBlock | ResidualBlock)[] {
    return this.items;
  }
  forward(x: T): T {
    for (const b of this.items) x = b.forward(x);
    return x;
  }
}

/** The bottom of the U: planes joined (or not), 1×1 bottleneck, blocks, 1×1 back. */
export class Deepest extends Module {
  readonly down: ConvBlock;
  readonly blocks: BlockSeries;
  readonly up: ConvBlock;
  constructor(
    engine: Engine,
    rand: () => number,
    readonly ch: number,
    readonly cfg: UResNetConfig,
  ) {
    super(engine);
    const width = cfg.joinPlanes ? cfg.planes * ch : ch;
    this.down = this.registerModule('bottleneck', new ConvBlock(engine, rand, width, cfg.bottleneckDeepest, 1, cfg));
    this.blocks = this.registerModule(
      'blocks',
      new BlockSeries(engine, rand, cfg.bottleneckDeepest, cfg.blocksDeepest, cfg.filterSizeDeepest, cfg),
    );
    this.up = this.registerModule('unbottleneck', new ConvBlock(engine, rand, cfg.bottleneckDeepest, width, 1, cfg));
  }
  forward(x: T): T {
    const [N, C, h, w] = x.shape;
    const P = this.cfg.planes;
    const joined = this.cfg.joinPlanes ? reshape(x, [N / P, P * C, h, w]) : x;
    const y = this.up.forward(this.blocks.forward(this.down.forward(joined)));
    return this.cfg.joinPlanes ? reshape(y, [N, C, h, w]) : y;
  }
}

/** One level of the U; its children are named down, downsample, inner | deepest, upsample, merge, up. */
export class Level extends Module {
  readonly downBlocks: BlockSeries;
  readonly downsample: ConvBlock;
  readonly inner: Level | Deepest;
  readonly upsample: ConvBlock;
  readonly merge: ConvBlock | null;
  readonly upBlocks: BlockSeries;

  constructor(
    engine: Engine,
    rand: () => number,
    readonly depth: number,
    ch: number,
    readonly cfg: UResNetConfig,
  ) {
    super(engine);
    const next = cfg.growth === 'multiplicative' ? 2 * ch : ch + cfg.initialFilters;
    this.downBlocks = this.registerModule('down', new BlockSeries(engine, rand, ch, cfg.blocksPerLayer, 3, cfg));
    this.downsample = this.registerModule(
      'downsample',
      cfg.downsampling === 'convolutional'
        ? new ConvBlock(engine, rand, ch, next, 2, cfg, { stride: 2 })
        : new ConvBlock(engine, rand, ch, next, 1, cfg),
    ); // after a 2×2 max pool
    this.inner =
      depth > 1
        ? this.registerModule('inner', new Level(engine, rand, depth - 1, next, cfg))
        : this.registerModule('deepest', new Deepest(engine, rand, next, cfg));
    this.upsample = this.registerModule('upsample', new ConvBlock(engine, rand, next, ch, 1, cfg)); // after ×2 nearest upsampling
    this.merge = this.registerModule('merge', cfg.connections === 'concat' ? new ConvBlock(engine, rand, 2 * ch, ch, 1, cfg) : null);
    this.upBlocks = this.registerModule('up', new BlockSeries(engine, rand, ch, cfg.blocksPerLayer, 3, cfg));
  }

  forward(x: T): T {
    const skip = x;
    let y = this.downBlocks.forward(x);
    y = this.downsample.forward(this.cfg.downsampling === 'convolutional' ? y : maxPool2d(y, 2));
    y = this.inner.forward(y);
    y = this.upsample.forward(upsampleNearest(y, 2));
    if (this.cfg.connections === 'sum') y = add(y, skip);
    else if (this.merge) y = this.merge.forward(concatChannels(y, skip));
    return this.upBlocks.forward(y);
  }
}

/**
 * State-dict names follow the module tree: `initial.conv.weight`, `core.down.0.a.norm.bias`,
 * `core.inner.deepest.bottleneck.conv.weight`, `final.0.b.conv.weight`, `classifier.conv.bias`.
 * With depth 0 the deepest block sits at `core.deepest` (as deeper nets name it under a level).
 */
export class UResNet extends Module {
  readonly initial: ConvBlock;
  readonly core: Level | Deepest;
  readonly final: BlockSeries;
  readonly classifier: ConvBlock;

  constructor(
    engine: Engine,
    readonly cfg: UResNetConfig,
    rand: () => number,
  ) {
    super(engine);
    if (cfg.depth < 0 || !Number.isInteger(cfg.depth)) throw new Error(`U-ResNet depth ${cfg.depth} must be a whole number ≥ 0`);
    if (cfg.filterSizeDeepest % 2 !== 1) throw new Error('the deepest filter size must be odd');
    const F = cfg.initialFilters;
    this.initial = this.registerModule('initial', new ConvBlock(engine, rand, 1, F, 5, cfg));
    if (cfg.depth > 0) this.core = this.registerModule('core', new Level(engine, rand, cfg.depth, F, cfg));
    else this.core = this.registerModule('core', new Module(engine)).registerModule('deepest', new Deepest(engine, rand, F, cfg));
    this.final = this.registerModule('final', new BlockSeries(engine, rand, F, cfg.blocksFinal, 3, cfg));
    this.classifier = this.registerModule(
      'classifier',
      new ConvBlock(engine, rand, F, cfg.classes, 1, { ...cfg, normalization: 'none', bias: true }, { activation: false }),
    );
  }

  /** x [B·P, 1, H, W] → logits [B·P, classes, H, W]; H and W divisible by 2^depth. */
  forward(x: T): T {
    const [N, , H, W] = x.shape;
    const m = 2 ** this.cfg.depth;
    if (H % m || W % m) throw new Error(`U-ResNet of depth ${this.cfg.depth} needs image sides divisible by ${m}, got ${H}×${W}`);
    if (N % this.cfg.planes) throw new Error(`${N} images are not whole events of ${this.cfg.planes} planes`);
    return this.classifier.forward(this.final.forward(this.core.forward(this.initial.forward(x))));
  }
}
