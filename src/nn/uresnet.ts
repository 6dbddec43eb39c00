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
  planes: 3, classes: 3, depth: 2, initialFilters: 8, blocksPerLayer: 1, blocksDeepest: 1, blocksFinal: 1,
  residual: true, connections: 'concat', growth: 'additive', bottleneckDeepest: 32, filterSizeDeepest: 3,
  downsampling: 'max_pooling', normalization: 'instance', bias: true, joinPlanes: true,
};

type T = Tensor<'f32'>;

/** The module types, for walkers such as the ONNX exporter. */
export interface UResNetModules {
  series: BlockSeries;
  level: Level;
  deepest: Deepest;
}

/** Named parameters in creation order (for export and the optimiser). */
class ParamStore {
  readonly entries: [string, T][] = [];
  constructor(readonly engine: Engine, readonly rand: () => number) {}
  add(name: string, data: Float32Array, shape: number[]): T {
    const t = this.engine.parameter(data, shape);
    this.entries.push([name, t]);
    return t;
  }
}

/** conv → (norm) → (ReLU); square kernel, "same" padding unless strided. */
export class ConvBlock {
  readonly weight: T;
  readonly bias: T | null;
  readonly gamma: T | null;
  readonly beta: T | null;
  readonly stride: number;
  readonly pad: number;
  readonly activation: boolean;

  constructor(ps: ParamStore, readonly name: string, inC: number, readonly outC: number, readonly k: number, cfg: UResNetConfig, opts: { stride?: number; activation?: boolean } = {}) {
    this.stride = opts.stride ?? 1;
    this.pad = this.stride === 1 ? (k - 1) / 2 : 0;
    this.activation = opts.activation ?? true;
    this.weight = ps.add(`${name}.conv.weight`, heUniform(inC * k * k, outC, ps.rand), [outC, inC, k, k]);
    this.bias = cfg.bias ? ps.add(`${name}.conv.bias`, new Float32Array(outC), [outC]) : null;
    const norm = cfg.normalization === 'instance';
    this.gamma = norm ? ps.add(`${name}.norm.weight`, new Float32Array(outC).fill(1), [outC]) : null;
    this.beta = norm ? ps.add(`${name}.norm.bias`, new Float32Array(outC), [outC]) : null;
  }

  forward(x: T): T {
    let y = conv2d(x, this.weight, this.bias ?? undefined, { stride: this.stride, pad: this.pad });
    if (this.gamma && this.beta) y = instanceNorm(y, this.gamma, this.beta);
    return this.activation ? relu(y) : y;
  }
}

/** relu(block₂(block₁(x)) + x), block₂ without activation. */
export class ResidualBlock {
  readonly a: ConvBlock;
  readonly b: ConvBlock;
  constructor(ps: ParamStore, name: string, ch: number, k: number, cfg: UResNetConfig) {
    this.a = new ConvBlock(ps, `${name}.a`, ch, ch, k, cfg);
    this.b = new ConvBlock(ps, `${name}.b`, ch, ch, k, cfg, { activation: false });
  }
  forward(x: T): T {
    return relu(add(this.b.forward(this.a.forward(x)), x));
  }
}

export class BlockSeries {
  readonly blocks: (ConvBlock | ResidualBlock)[] = [];
  constructor(ps: ParamStore, name: string, ch: number, n: number, k: number, cfg: UResNetConfig) {
    for (let i = 0; i < n; i++) {
      this.blocks.push(cfg.residual ? new ResidualBlock(ps, `${name}.${i}`, ch, k, cfg) : new ConvBlock(ps, `${name}.${i}`, ch, ch, k, cfg));
    }
  }
  forward(x: T): T {
    for (const b of this.blocks) x = b.forward(x);
    return x;
  }
}

/** The bottom of the U: planes joined (or not), 1×1 bottleneck, blocks, 1×1 back. */
export class Deepest {
  readonly down: ConvBlock;
  readonly blocks: BlockSeries;
  readonly up: ConvBlock;
  constructor(ps: ParamStore, name: string, readonly ch: number, readonly cfg: UResNetConfig) {
    const width = cfg.joinPlanes ? cfg.planes * ch : ch;
    this.down = new ConvBlock(ps, `${name}.bottleneck`, width, cfg.bottleneckDeepest, 1, cfg);
    this.blocks = new BlockSeries(ps, `${name}.blocks`, cfg.bottleneckDeepest, cfg.blocksDeepest, cfg.filterSizeDeepest, cfg);
    this.up = new ConvBlock(ps, `${name}.unbottleneck`, cfg.bottleneckDeepest, width, 1, cfg);
  }
  forward(x: T): T {
    const [N, C, h, w] = x.shape;
    const P = this.cfg.planes;
    const joined = this.cfg.joinPlanes ? reshape(x, [N / P, P * C, h, w]) : x;
    const y = this.up.forward(this.blocks.forward(this.down.forward(joined)));
    return this.cfg.joinPlanes ? reshape(y, [N, C, h, w]) : y;
  }
}

export class Level {
  readonly downBlocks: BlockSeries;
  readonly downsample: ConvBlock;
  readonly inner: Level | Deepest;
  readonly upsample: ConvBlock;
  readonly merge: ConvBlock | null;
  readonly upBlocks: BlockSeries;

  constructor(ps: ParamStore, name: string, readonly depth: number, ch: number, readonly cfg: UResNetConfig) {
    const next = cfg.growth === 'multiplicative' ? 2 * ch : ch + cfg.initialFilters;
    this.downBlocks = new BlockSeries(ps, `${name}.down`, ch, cfg.blocksPerLayer, 3, cfg);
    this.downsample = cfg.downsampling === 'convolutional'
      ? new ConvBlock(ps, `${name}.downsample`, ch, next, 2, cfg, { stride: 2 })
      : new ConvBlock(ps, `${name}.downsample`, ch, next, 1, cfg); // after a 2×2 max pool
    this.inner = depth > 1 ? new Level(ps, `${name}.inner`, depth - 1, next, cfg) : new Deepest(ps, `${name}.deepest`, next, cfg);
    this.upsample = new ConvBlock(ps, `${name}.upsample`, next, ch, 1, cfg); // after ×2 nearest upsampling
    this.merge = cfg.connections === 'concat' ? new ConvBlock(ps, `${name}.merge`, 2 * ch, ch, 1, cfg) : null;
    this.upBlocks = new BlockSeries(ps, `${name}.up`, ch, cfg.blocksPerLayer, 3, cfg);
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

export class UResNet {
  private store: ParamStore;
  readonly initial: ConvBlock;
  readonly core: Level | Deepest;
  readonly final: BlockSeries;
  readonly classifier: ConvBlock;

  constructor(engine: Engine, readonly cfg: UResNetConfig, rand: () => number) {
    if (cfg.depth < 0 || !Number.isInteger(cfg.depth)) throw new Error(`U-ResNet depth ${cfg.depth} must be a whole number ≥ 0`);
    if (cfg.filterSizeDeepest % 2 !== 1) throw new Error('the deepest filter size must be odd');
    this.store = new ParamStore(engine, rand);
    const F = cfg.initialFilters;
    this.initial = new ConvBlock(this.store, 'initial', 1, F, 5, cfg);
    this.core = cfg.depth > 0 ? new Level(this.store, 'core', cfg.depth, F, cfg) : new Deepest(this.store, 'core.deepest', F, cfg);
    this.final = new BlockSeries(this.store, 'final', F, cfg.blocksFinal, 3, cfg);
    this.classifier = new ConvBlock(this.store, 'classifier', F, cfg.classes, 1, { ...cfg, normalization: 'none', bias: true }, { activation: false });
  }

  /** x [B·P, 1, H, W] → logits [B·P, classes, H, W]; H and W divisible by 2^depth. */
  forward(x: T): T {
    const [N, , H, W] = x.shape;
    const m = 2 ** this.cfg.depth;
    if (H % m || W % m) throw new Error(`U-ResNet of depth ${this.cfg.depth} needs image sides divisible by ${m}, got ${H}×${W}`);
    if (N % this.cfg.planes) throw new Error(`${N} images are not whole events of ${this.cfg.planes} planes`);
    return this.classifier.forward(this.final.forward(this.core.forward(this.initial.forward(x))));
  }

  parameters(): T[] {
    return this.store.entries.map(([, t]) => t);
  }

  namedParameters(): [string, T][] {
    return this.store.entries;
  }

  parameterCount(): number {
    return this.parameters().reduce((a, t) => a + t.size, 0);
  }

  dispose(): void {
    for (const t of this.parameters()) t.dispose();
  }
}
