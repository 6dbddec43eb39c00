/**
 * Upstream's SymmetricAttentionSplit: one StackedEncoder + Linear per product; the logits
 * are the degree-way inner product Σ_d y₁[x,d]·y₂[y,d]·… / √D^degree, averaged over the
 * particle's product permutations.
 */
import type { Engine } from '../../tensor/engine';
import { add, mul } from '../../tensor/ops/elementwise';
import { matmul } from '../../tensor/ops/matmul';
import { sumAxes } from '../../tensor/ops/reduceAxes';
import { reshape } from '../../tensor/ops/reshape';
import { permute } from '../../tensor/ops/shape';
import { divScalar } from '../../tensor/ops/unary';
import type { Tensor } from '../../tensor/tensor';
import type { SpanetOptions } from '../../tasks/spanet/options';
import { Linear } from '../linear';
import { Module } from '../module';
import { optionInt, requireWord } from './config';
import { ModuleListOf } from './containers';
import { linearNd } from './gruBlock';
import type { VectorMasks } from './masks';
import { StackedEncoder } from './stackedEncoder';

type F = Tensor<'f32'>;

/** Σ_d ys[0][b,i,d]·ys[1][b,j,d]·… over [B, N, D] factors → [B, N, …, N]. */
export function contractProducts(ys: F[]): F {
  const [B, N, D] = ys[0].shape;
  if (ys.length === 1) return sumAxes(ys[0], [2]);
  let acc = ys[0]; // [B, M, D], M = N^(k)
  for (const y of ys.slice(1, -1)) {
    const M = acc.shape[1];
    acc = reshape(mul(reshape(acc, [B, M, 1, D]), reshape(y, [B, 1, N, D])), [B, M * N, D]);
  }
  const out = matmul(acc, ys[ys.length - 1], { transB: true });
  return reshape(out, [B, ...ys.map(() => N)]);
}

export class SymmetricAttentionSplit extends Module {
  readonly encoders: StackedEncoder[] = [];
  readonly linears: Linear[] = [];
  /** Batch-axis permutations of the non-identity group elements (upstream's batch_no_identity_permutations). */
  readonly batchPermutations: number[][];
  private readonly masking: string;
  private readonly scale: number;

  constructor(
    engine: Engine,
    options: SpanetOptions,
    readonly degree: number,
    productPerms: number[][],
    rand: () => number,
  ) {
    super(engine);
    const hidden = optionInt(options, 'hidden_dim');
    const enc = this.registerModule('encoders', new ModuleListOf(engine));
    const lin = this.registerModule('linear_layers', new ModuleListOf(engine));
    for (let i = 0; i < degree; i++) {
      this.encoders.push(
        enc.add(
          new StackedEncoder(
            engine,
            options,
            optionInt(options, 'num_jet_embedding_layers'),
            optionInt(options, 'num_jet_encoder_layers'),
            rand,
          ),
        ),
      );
      this.linears.push(lin.add(new Linear(engine, hidden, hidden, 'none', rand)));
    }
    this.masking = requireWord(options, 'masking', ['filling', 'multiplicative', 'none']);
    const identity = (p: number[]) => p.every((v, i) => v === i);
    this.batchPermutations = productPerms.filter((p) => !identity(p)).map((p) => [0, ...p.map((v) => v + 1)]);
    this.scale = Math.sqrt(hidden) ** degree;
  }

  /** x [N, B, D] (sequential vectors only) → logits [B, N, …] and one daughter vector [B, D] per product. */
  forward(x: F, masks: VectorMasks): { logits: F; daughters: F[] } {
    const seq = masks.sequenceTensor(this.engine);
    const ys: F[] = [],
      daughters: F[] = [];
    this.encoders.forEach((encoder, i) => {
      const { vectors, particle } = encoder.forward(x, masks);
      let y = linearNd(this.linears[i], vectors);
      if (this.masking !== 'none') y = mul(y, seq);
      ys.push(permute(y, [1, 0, 2]));
      daughters.push(particle);
    });
    const raw = divScalar(contractProducts(ys), this.scale);
    if (!this.batchPermutations.length) return { logits: raw, daughters };
    const sym = this.batchPermutations.reduce((s, p) => add(s, permute(raw, p)), raw);
    return { logits: divScalar(sym, this.batchPermutations.length + 1), daughters };
  }
}
