import type { Engine } from '../tensor/engine';
import { add } from '../tensor/ops/elementwise';
import { conv2d } from '../tensor/ops/conv2d';
import { maxPool2d } from '../tensor/ops/pool';
import { upsampleBilinear } from '../tensor/ops/bilinear';
import { leakyRelu } from '../tensor/ops/unary';
import { reshape } from '../tensor/ops/reshape';
import { concat, slice } from '../tensor/ops/shape';
import { checkpoint } from '../tensor/checkpoint';
import type { Tensor } from '../tensor/tensor';
import { xavierUniform } from './init';
import { BatchNorm2d, ConvTranspose2d } from './layers';
import { Module, ModuleList } from './module';
import { checkNetworkConfig, type CosmicNetworkConfig } from './cosmicUResNetConfig';

export { checkNetworkConfig, SMALL_URESNET, UPSTREAM_URESNET, type CosmicNetworkConfig } from './cosmicUResNetConfig';

/**
 * CosmicTagger's torch UResNet (src/networks/torch/uresnet2D.py): the module tree is
 * upstream's, so `stateDict()` has exactly the keys, shapes and dtypes of upstream's
 * `UResNet(params).state_dict()` and a CosmicTagger checkpoint loads strictly.
 */
export const COSMIC_CLASSES = 3;
const SLOPE = 0.01; // torch.nn.functional.leaky_relu's default negative_slope

type T = Tensor<'f32'>;
type Rand = () => number;

/**
 * fn(...xs); with cfg.checkpoint one tape node whose backward re-runs fn (its activations are
 * not kept). Stages nest: a level's stage holds block stages, so re-running a level keeps only
 * the block boundaries and re-running a block only that block's activations.
 */
function stage(cfg: CosmicNetworkConfig, fn: (...xs: T[]) => T, xs: T[]): T {
  return cfg.checkpoint ? checkpoint(fn, xs) : fn(...xs);
}

/** nn.Conv2d as upstream initialises it: Xavier-uniform weight, zero bias (when there is one). */
export class XavierConv2d extends Module {
  readonly weight: T;
  readonly bias: T | null;
  constructor(
    engine: Engine,
    inC: number,
    outC: number,
    readonly k: number,
    readonly stride: number,
    readonly padding: number,
    bias: boolean,
    rand: Rand,
  ) {
    super(engine);
    const shape = [outC, inC, k, k];
    this.weight = this.parameter('weight', xavierUniform(shape, rand), shape);
    this.bias = bias ? this.parameter('bias', new Float32Array(outC), [outC]) : this.registerParameter('bias', null);
  }
  forward(x: T): T {
    return conv2d(x, this.weight, this.bias ?? undefined, { stride: this.stride, pad: this.padding });
  }
}

/** conv → (BatchNorm2d) → leaky ReLU or identity: upstream's Block, children `conv`, `norm`. */
export class Block extends Module {
  readonly conv: XavierConv2d;
  readonly norm: BatchNorm2d | null;
  constructor(
    engine: Engine,
    rand: Rand,
    cfg: CosmicNetworkConfig,
    inC: number,
    outC: number,
    opts: { kernel?: number; stride?: number; padding?: number; activation?: boolean } = {},
  ) {
    super(engine);
    const k = opts.kernel ?? 3;
    this.conv = this.registerModule(
      'conv',
      new XavierConv2d(engine, inC, outC, k, opts.stride ?? 1, opts.padding ?? (k === 1 ? 0 : 1), cfg.bias, rand),
    );
    this.norm = cfg.normalization === 'batch' ? this.registerModule('norm', new BatchNorm2d(engine, outC)) : null;
    this.activation = opts.activation ?? true;
  }
  readonly activation: boolean;
  forward(x: T): T {
    let y = this.conv.forward(x);
    if (this.norm) y = this.norm.forward(y);
    return this.activation ? leakyRelu(y, SLOPE) : y;
  }
}

/** leaky(convolution_2(convolution_1(x)) + x), convolution_2 without activation. */
export class ResidualBlock extends Module {
  readonly convolution_1: Block;
  readonly convolution_2: Block;
  constructor(
    engine: Engine,
    rand: Rand,
    readonly cfg: CosmicNetworkConfig,
    ch: number,
    kernel: number,
    padding: number,
  ) {
    super(engine);
    this.convolution_1 = this.registerModule('convolution_1', new Block(engine, rand, cfg, ch, ch, { kernel, padding }));
    this.convolution_2 = this.registerModule('convolution_2', new Block(engine, rand, cfg, ch, ch, { kernel, padding, activation: false }));
  }
  forward(x: T): T {
    // Checkpointed, each convolution is a stage: re-running the block keeps x and the two
    // stage outputs, not the five activations inside.
    const h = stage(this.cfg, (v) => this.convolution_1.forward(v), [x]);
    return leakyRelu(
      add(
        stage(this.cfg, (v) => this.convolution_2.forward(v), [h]),
        x,
      ),
      SLOPE,
    );
  }
}

/** `blocks.0`, `blocks.1`, …: residual or plain blocks keeping the channel count. */
export class BlockSeries extends Module {
  readonly blocks: ModuleList<Block | ResidualBlock>;
  constructor(
    engine: Engine,
    rand: Rand,
    readonly cfg: CosmicNetworkConfig,
    ch: number,
    n: number,
    kernel = 3,
    padding = 1,
  ) {
    super(engine);
    this.blocks = this.registerModule('blocks', new ModuleList<Block | ResidualBlock>(engine));
    for (let i = 0; i < n; i++) {
      this.blocks.append(
        cfg.residual
          ? new ResidualBlock(engine, rand, cfg, ch, kernel, padding)
          : new Block(engine, rand, cfg, ch, ch, { kernel, padding }),
      );
    }
  }
  forward(x: T): T {
    return this.series(this.blocks.items, x);
  }
  /**
   * Checkpointed, the series is cut in halves, each a stage, down to single blocks: a re-run
   * keeps O(log n) block outputs instead of n, for each block run O(log n) more times.
   */
  private series(blocks: (Block | ResidualBlock)[], x: T): T {
    if (!this.cfg.checkpoint || blocks.length === 1) {
      for (const b of blocks) x = stage(this.cfg, (v) => b.forward(v), [x]);
      return x;
    }
    const h = Math.ceil(blocks.length / 2);
    const y = stage(this.cfg, (v) => this.series(blocks.slice(0, h), v), [x]);
    return stage(this.cfg, (v) => this.series(blocks.slice(h), v), [y]);
  }
}

/** Bottom of the U: planes concatenated on channels (block_concat false) or each alone. */
export class DeepestBlock extends Module {
  readonly bottleneck: Block;
  readonly blocks: BlockSeries;
  readonly unbottleneck: Block;
  constructor(
    engine: Engine,
    rand: Rand,
    readonly cfg: CosmicNetworkConfig,
    ch: number,
    planes: number,
  ) {
    super(engine);
    const width = cfg.block_concat ? ch : planes * ch;
    const k = cfg.filter_size_deepest;
    this.bottleneck = this.registerModule('bottleneck', new Block(engine, rand, cfg, width, cfg.bottleneck_deepest, { kernel: 1 }));
    this.blocks = this.registerModule(
      'blocks',
      new BlockSeries(engine, rand, cfg, cfg.bottleneck_deepest, cfg.blocks_deepest_layer, k, (k - 1) / 2),
    );
    this.unbottleneck = this.registerModule('unbottleneck', new Block(engine, rand, cfg, cfg.bottleneck_deepest, width, { kernel: 1 }));
  }
  private core(x: T): T {
    return this.unbottleneck.forward(this.blocks.forward(this.bottleneck.forward(x)));
  }
  forward(xs: T[]): T[] {
    if (this.cfg.block_concat) return xs.map((x) => stage(this.cfg, (v) => this.core(v), [x]));
    const y = stage(this.cfg, (...vs) => this.core(concat(vs, 1)), xs);
    const c = y.shape[1] / xs.length;
    return xs.map((_, p) => slice(y, 1, p * c, (p + 1) * c)); // torch.chunk(x, 3, dim=1)
  }
}

/** 2×2 max pool then a 1×1 block (upstream's MaxPooling: children `pool`, `bottleneck`). */
export class MaxPooling extends Module {
  readonly bottleneck: Block;
  constructor(engine: Engine, rand: Rand, cfg: CosmicNetworkConfig, inC: number, outC: number) {
    super(engine);
    this.bottleneck = this.registerModule('bottleneck', new Block(engine, rand, cfg, inC, outC, { kernel: 1 }));
  }
  forward(x: T): T {
    return this.bottleneck.forward(maxPool2d(x, 2));
  }
}

/** Bilinear ×2 (align_corners=False) then a 1×1 block (children `up`, `bottleneck`). */
export class InterpolationUpsample extends Module {
  readonly bottleneck: Block;
  constructor(engine: Engine, rand: Rand, cfg: CosmicNetworkConfig, inC: number, outC: number) {
    super(engine);
    this.bottleneck = this.registerModule('bottleneck', new Block(engine, rand, cfg, inC, outC, { kernel: 1 }));
  }
  forward(x: T): T {
    return this.bottleneck.forward(upsampleBilinear(x, { scale: 2 }));
  }
}

/**
 * 2×2 stride-2 transposed conv → (norm) → leaky ReLU. Upstream's init loop only touches
 * nn.Conv2d, which ConvTranspose2d is not: it keeps torch's default init, as here.
 */
export class ConvolutionUpsample extends Module {
  readonly conv: ConvTranspose2d;
  readonly norm: BatchNorm2d | null;
  constructor(engine: Engine, rand: Rand, cfg: CosmicNetworkConfig, inC: number, outC: number) {
    super(engine);
    this.conv = this.registerModule('conv', new ConvTranspose2d(engine, inC, outC, 2, rand, { stride: 2, bias: cfg.bias }));
    this.norm = cfg.normalization === 'batch' ? this.registerModule('norm', new BatchNorm2d(engine, outC)) : null;
  }
  forward(x: T): T {
    let y = this.conv.forward(x);
    if (this.norm) y = this.norm.forward(y);
    return leakyRelu(y, SLOPE);
  }
}

/** cat(x, skip) on channels → 1×1 block back to the level's width (child `bottleneck`). */
export class ConcatConnection extends Module {
  readonly bottleneck: Block;
  constructor(engine: Engine, rand: Rand, cfg: CosmicNetworkConfig, ch: number) {
    super(engine);
    this.bottleneck = this.registerModule('bottleneck', new Block(engine, rand, cfg, 2 * ch, ch, { kernel: 1 }));
  }
  forward(x: T, skip: T): T {
    return this.bottleneck.forward(concat([x, skip], 1));
  }
}

type Downsample = Block | MaxPooling;
type Upsample = InterpolationUpsample | ConvolutionUpsample;

/** One level: children down_blocks, downsample, main_module, upsample, up_blocks, connection; depth 0 is main_module only. */
export class UNetCore extends Module {
  readonly down_blocks: BlockSeries | null = null;
  readonly downsample: Downsample | null = null;
  readonly main_module: UNetCore | DeepestBlock;
  readonly upsample: Upsample | null = null;
  readonly up_blocks: BlockSeries | null = null;
  readonly connection: ConcatConnection | null = null;

  constructor(
    engine: Engine,
    rand: Rand,
    readonly cfg: CosmicNetworkConfig,
    readonly depth: number,
    ch: number,
    planes: number,
  ) {
    super(engine);
    if (depth === 0) {
      this.main_module = this.registerModule('main_module', new DeepestBlock(engine, rand, cfg, ch, planes));
      return;
    }
    this.down_blocks = this.registerModule('down_blocks', new BlockSeries(engine, rand, cfg, ch, cfg.blocks_per_layer));
    const next = cfg.growth_rate === 'multiplicative' ? 2 * ch : ch + cfg.n_initial_filters;
    this.downsample = this.registerModule(
      'downsample',
      cfg.downsampling === 'convolutional'
        ? new Block(engine, rand, cfg, ch, next, { kernel: 2, stride: 2, padding: 0 })
        : new MaxPooling(engine, rand, cfg, ch, next),
    );
    this.main_module = this.registerModule('main_module', new UNetCore(engine, rand, cfg, depth - 1, next, planes));
    this.upsample = this.registerModule(
      'upsample',
      cfg.upsampling === 'convolutional'
        ? new ConvolutionUpsample(engine, rand, cfg, next, ch)
        : new InterpolationUpsample(engine, rand, cfg, next, ch),
    );
    this.up_blocks = this.registerModule('up_blocks', new BlockSeries(engine, rand, cfg, ch, cfg.blocks_per_layer));
    if (cfg.connections === 'concat') this.connection = this.registerModule('connection', new ConcatConnection(engine, rand, cfg, ch));
  }

  /** One plane's way down this level: blocks, then downsampling (the next level's input). */
  down(x: T): T {
    return this.downsample!.forward(this.down_blocks!.forward(x));
  }

  /** One plane's way up this level: upsampling, the skip connection, blocks (each a stage when checkpointed). */
  up(y: T, skip: T): T {
    let u = stage(this.cfg, (v) => this.upsample!.forward(v), [y]);
    if (this.cfg.connections === 'sum') u = add(u, skip);
    else if (this.connection) u = stage(this.cfg, (v, s) => this.connection!.forward(v, s), [u, skip]);
    return this.up_blocks!.forward(u);
  }

  forward(xs: T[]): T[] {
    if (this.depth === 0) return (this.main_module as DeepestBlock).forward(xs);
    const ys = (this.main_module as UNetCore).forward(xs.map((x) => this.down(x)));
    return ys.map((y, p) => this.up(y, xs[p]));
  }
}

/**
 * image [B, P, H, W] (P = 3 wire planes, H = time, W = wire) → logits [B, P, 3, H, W].
 * The planes go through the shared modules one after another, as upstream's tuples do, so
 * train-mode batch norm normalises each plane with its own batch statistics and updates the
 * running statistics once per plane (num_batches_tracked += P per forward). H and W must be
 * divisible by 2^depth.
 */
export class CosmicUResNet extends Module {
  readonly initial_convolution: Block;
  readonly net_core: UNetCore;
  readonly final_layer: BlockSeries;
  readonly bottleneck: XavierConv2d;

  constructor(
    engine: Engine,
    readonly cfg: CosmicNetworkConfig,
    rand: Rand,
    readonly planes = 3,
  ) {
    super(engine);
    checkNetworkConfig(cfg);
    const F = cfg.n_initial_filters;
    this.initial_convolution = this.registerModule('initial_convolution', new Block(engine, rand, cfg, 1, F, { kernel: 5, padding: 2 }));
    this.net_core = this.registerModule('net_core', new UNetCore(engine, rand, cfg, cfg.depth, F, planes));
    this.final_layer = this.registerModule('final_layer', new BlockSeries(engine, rand, cfg, F, cfg.blocks_final));
    this.bottleneck = this.registerModule('bottleneck', new XavierConv2d(engine, F, COSMIC_CLASSES, 1, 1, 0, cfg.bias, rand));
  }

  forward(image: T): T {
    const [B, P, H, W] = image.shape;
    const m = 2 ** this.cfg.depth;
    if (image.rank !== 4 || P !== this.planes)
      throw new Error(`CosmicUResNet expects image [B, ${this.planes}, H, W], got [${image.shape}]`);
    if (H % m || W % m) throw new Error(`a U-ResNet of depth ${this.cfg.depth} needs image sides divisible by ${m}, got ${H}×${W}`);
    const first = (p: number) => (im: T) => this.initial_convolution.forward(P === 1 ? im : slice(im, 1, p, p + 1));
    const last = (x: T) => reshape(this.bottleneck.forward(this.final_layer.forward(x)), [B, 1, COSMIC_CLASSES, H, W]);
    let logits: T[];
    if (this.cfg.checkpoint) {
      logits = this.checkpointedPlanes(
        Array.from({ length: P }, (_, p) => stage(this.cfg, first(p), [image])),
        last,
      );
    } else {
      const xs = this.net_core.forward(Array.from({ length: P }, (_, p) => first(p)(image)));
      logits = xs.map(last);
    }
    return P === 1 ? logits[0] : concat(logits, 1);
  }

  /**
   * The U with checkpointing: each plane's way down is one stage per level, keeping only the
   * levels' inputs (the skips); each plane's whole way up and the final layer are one stage,
   * so backward re-runs one plane's way up at a time, and inside it one level at a time.
   */
  private checkpointedPlanes(xs: T[], last: (x: T) => T): T[] {
    const levels: UNetCore[] = [];
    let core = this.net_core;
    for (; core.depth > 0; core = core.main_module as UNetCore) levels.push(core);
    const skips = xs.map((x) => {
      const s = [x];
      for (const level of levels) s.push(stage(this.cfg, (v) => level.down(v), [s[s.length - 1]]));
      return s;
    });
    const bottoms = (core.main_module as DeepestBlock).forward(skips.map((s) => s[levels.length]));
    const wayUp = (bottom: T, ...sk: T[]) => {
      let y = bottom;
      for (let i = levels.length - 1; i >= 0; i--) y = stage(this.cfg, (v, s) => levels[i].up(v, s), [y, sk[i]]);
      return last(y);
    };
    return bottoms.map((b, p) => stage(this.cfg, wayUp, [b, ...skips[p].slice(0, levels.length)]));
  }
}
