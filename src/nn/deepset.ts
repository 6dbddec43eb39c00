import { moduleWeights, type NamedWeights } from './namedWeights';
import type { Engine } from '../tensor/engine';
import type { Activation } from '../tensor/kernels';
import { scale } from '../tensor/ops/elementwise';
import { segmentReduce, type SegmentReduction } from '../tensor/ops/segment';
import type { Tensor } from '../tensor/tensor';
import { Linear } from './linear';
import { Module, ModuleList } from './module';

export type SetPool = SegmentReduction;

export interface DeepSetConfig {
  /** Features per set element. */
  inputWidth: number;
  /** phi: `depth` layers of `width`, every one activated (the pooled latent is the last). */
  phi: { width: number; depth: number };
  /** rho: `depth` activated hidden layers of `width`, then a linear layer to `outputs`. */
  rho: { width: number; depth: number };
  outputs: number;
  activation: Activation;
  pool: SetPool;
  /**
   * Multiplies the pooled latent. For sum pooling 1/(typical set size) keeps rho's input O(1)
   * at initialisation, so large sets do not blow up the first steps; the pool is still a sum
   * (it keeps the set size information a mean loses). Default 1.
   */
  poolScale?: number;
}

/**
 * y(set) = rho(pool_i phi(x_i)): phi runs on every element row of a packed block, the
 * pool is a segment reduction over the block's CSR offsets, rho runs once per set slot.
 */
export class DeepSet extends Module {
  readonly phi: ModuleList<Linear>;
  readonly rho: ModuleList<Linear>;

  constructor(
    engine: Engine,
    readonly config: DeepSetConfig,
    rand: () => number,
  ) {
    super(engine);
    const { inputWidth, phi, rho, outputs, activation } = config;
    if (phi.depth < 1) throw new Error('a Deep Set needs at least one phi layer');
    if (rho.depth < 0) throw new Error('rho depth cannot be negative');
    this.phi = this.registerModule(
      'phi',
      new ModuleList(
        engine,
        Array.from({ length: phi.depth }, (_, i) => new Linear(engine, i === 0 ? inputWidth : phi.width, phi.width, activation, rand)),
      ),
    );
    const rhoIn = (i: number) => (i === 0 ? phi.width : rho.width);
    this.rho = this.registerModule(
      'rho',
      new ModuleList(
        engine,
        Array.from({ length: rho.depth + 1 }, (_, i) =>
          i < rho.depth ? new Linear(engine, rhoIn(i), rho.width, activation, rand) : new Linear(engine, rhoIn(i), outputs, 'none', rand),
        ),
      ),
    );
  }

  /** elements [rows, inputWidth], offsets [sets + 1] → [sets, outputs]. */
  forward(elements: Tensor<'f32'>, offsets: Tensor<'i32'> | Tensor<'u32'>): Tensor<'f32'> {
    const latent = this.phi.items.reduce((h, layer) => layer.forward(h), elements);
    let pooled = segmentReduce(latent, offsets, this.config.pool);
    const k = this.config.poolScale ?? 1;
    if (k !== 1) pooled = scale(pooled, k);
    return this.rho.items.reduce((h, layer) => layer.forward(h), pooled);
  }

  /** Weights under torch-style names (phi.0.weight [out, in], ..., rho.k.bias). */
  namedWeights(): Promise<NamedWeights> {
    return moduleWeights(this);
  }
}
