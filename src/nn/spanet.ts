import type { Engine } from '../tensor/engine';
import { matmul } from '../tensor/ops/matmul';
import { reshape } from '../tensor/ops/reshape';
import { sliceRows } from '../tensor/ops/rows';
import { assignmentLogSoftmax } from '../tensor/ops/softmax';
import { batchedRowDot, symmetrize, tripletContraction } from '../tensor/ops/symmetric';
import type { Tensor } from '../tensor/tensor';
import { Linear } from './linear';
import { Mlp } from './mlp';
import { Module, ModuleList } from './module';
import { LayerNorm, TransformerEncoderLayer } from './transformer';

export interface SpanetModelConfig {
  /** per-token input features: jet features | global features | is-jet | is-event */
  tokenWidth: number;
  width: number;
  layers: number;
  heads: number;
  ffWidth: number;
  /** width of each particle's jet projection entering the rank-k tensor attention */
  assignDim: number;
  /** per particle: product count k and the axis permutations it is symmetric under */
  particles: { name: string; k: number; perms: number[][] }[];
  regressions: number;
  classCounts: number[];
}

export interface SpanetInputs {
  tokens: Tensor<'f32'>; // [B*N + B, tokenWidth]
  attnMask: Tensor<'u32'>; // [B, N + 1]
  jetMask: Tensor<'u32'>; // [B, N]
}

export interface SpanetOutputs {
  /** per particle: log-probabilities over its flattened N^k assignment space [B, N^k] */
  logProbs: Tensor<'f32'>[];
  /** [B * P, 2]: logits of (not reconstructable, reconstructable) per particle */
  detectionLogits: Tensor<'f32'>;
  /** [B, R] in normalised units, or null without regression targets */
  regression: Tensor<'f32'> | null;
  /** per classification target: [B, classes] */
  classLogits: Tensor<'f32'>[];
}

/** One particle's symmetric tensor attention: a jet projection `proj` and a rank-k `weight` [D, …, D]. */
export class AssignmentHead extends Module {
  readonly proj: Linear;
  readonly weight: Tensor<'f32'>;

  constructor(
    engine: Engine,
    width: number,
    readonly dim: number,
    readonly k: number,
    readonly perms: number[][],
    rand: () => number,
  ) {
    super(engine);
    this.proj = this.registerModule('proj', new Linear(engine, width, dim, 'none', rand));
    // Scores are sums of dim^k terms: this scale keeps their spread O(1) at initialisation.
    const bound = Math.sqrt(3 / dim ** k);
    this.weight = this.parameter(
      'weight',
      Float32Array.from({ length: dim ** k }, () => (2 * rand() - 1) * bound),
      Array(k).fill(dim),
    );
  }

  /** jets [B*N, W] → assignment logits [B, N^k], symmetric under `perms`. */
  forward(jets: Tensor<'f32'>, B: number, N: number): Tensor<'f32'> {
    const D = this.dim;
    const x = this.proj.forward(jets);
    const w = this.perms.length > 1 ? symmetrize(this.weight, this.k, this.perms) : this.weight;
    if (this.k === 1) return reshape(matmul(x, reshape(w, [D, 1])), [B, N]);
    if (this.k === 2) {
      const u = reshape(matmul(x, w), [B, N, D]);
      return reshape(batchedRowDot(u, reshape(x, [B, N, D])), [B, N * N]);
    }
    // U[b,i,(e,f)] = x·W,  V[b,(i,e),k] = U·xᵀ (batched),  S = Σ_e x[b,j,e] V[b,i,e,k]
    const x3 = reshape(x, [B, N, D]);
    const u = reshape(matmul(x, reshape(w, [D, D * D])), [B, N * D, D]);
    const v = reshape(batchedRowDot(u, x3), [B, N, D, N]);
    return reshape(tripletContraction(v, x3), [B, N * N * N]);
  }
}

/**
 * SPANet-style jet-parton assignment network: per-token embedding, a transformer encoder
 * over jets plus an event token (which carries the global inputs), one symmetric tensor
 * attention head per particle, and detection / regression / classification heads read
 * from the event token. State-dict names: `embed.{i}`, `encoder.{l}.{ln1,qkv,proj,ln2,ff1,ff2}`,
 * `final_norm`, `assignment.{particle}.{proj,weight}`, `detection`, `regression.layers.{i}`,
 * `classification.{i}` (Linear weights [out, in], layer norms `weight`/`bias`).
 */
export class SpanetModel extends Module {
  readonly embed: ModuleList<Linear>;
  readonly encoder: ModuleList<TransformerEncoderLayer>;
  readonly finalNorm: LayerNorm;
  readonly assignment: AssignmentHead[];
  readonly detection: Linear;
  readonly regression: Mlp | null;
  readonly classifiers: ModuleList<Linear>;

  constructor(
    engine: Engine,
    readonly config: SpanetModelConfig,
    rand: () => number,
  ) {
    super(engine);
    const { tokenWidth, width: W } = config;
    this.embed = this.registerModule(
      'embed',
      new ModuleList(engine, [new Linear(engine, tokenWidth, W, 'gelu', rand), new Linear(engine, W, W, 'gelu', rand)]),
    );
    this.encoder = this.registerModule(
      'encoder',
      new ModuleList(
        engine,
        Array.from({ length: config.layers }, () => new TransformerEncoderLayer(engine, W, config.heads, config.ffWidth, rand)),
      ),
    );
    this.finalNorm = this.registerModule('final_norm', new LayerNorm(engine, W));
    // Heads are keyed by particle name, as SPANet's outputs are.
    const heads = this.registerModule('assignment', new Module(engine));
    this.assignment = config.particles.map((p) =>
      heads.registerModule(p.name, new AssignmentHead(engine, W, config.assignDim, p.k, p.perms, rand)),
    );
    this.detection = this.registerModule('detection', new Linear(engine, W, 2 * config.particles.length, 'none', rand));
    this.regression = this.registerModule(
      'regression',
      config.regressions ? new Mlp(engine, { sizes: [W, W, config.regressions], activation: 'gelu' }, rand) : null,
    );
    this.classifiers = this.registerModule(
      'classification',
      new ModuleList(
        engine,
        config.classCounts.map((c) => new Linear(engine, W, c, 'none', rand)),
      ),
    );
  }

  forward(inp: SpanetInputs, B: number, N: number): SpanetOutputs {
    let h = this.embed.items.reduce((x, l) => l.forward(x), inp.tokens);
    for (const layer of this.encoder) h = layer.forward(h, inp.attnMask, { B, N });
    h = this.finalNorm.forward(h);
    const jets = sliceRows(h, 0, B * N);
    const event = sliceRows(h, B * N, B);
    const logProbs = this.assignment.map((head, p) =>
      assignmentLogSoftmax(head.forward(jets, B, N), inp.jetMask, this.config.particles[p].k),
    );
    return {
      logProbs,
      detectionLogits: reshape(this.detection.forward(event), [B * this.config.particles.length, 2]),
      regression: this.regression ? this.regression.forward(event) : null,
      classLogits: this.classifiers.items.map((c) => c.forward(event)),
    };
  }
}
