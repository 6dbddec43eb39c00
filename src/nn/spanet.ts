import type { Engine } from '../tensor/engine';
import { matmul } from '../tensor/ops/matmul';
import { reshape } from '../tensor/ops/reshape';
import { sliceRows } from '../tensor/ops/rows';
import { assignmentLogSoftmax } from '../tensor/ops/softmax';
import { batchedRowDot, symmetrize, tripletContraction } from '../tensor/ops/symmetric';
import type { Tensor } from '../tensor/tensor';
import { Linear } from './linear';
import { Mlp } from './mlp';
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
  tokens: Tensor<'f32'>;          // [B*N + B, tokenWidth]
  attnMask: Tensor<'u32'>;        // [B, N + 1]
  jetMask: Tensor<'u32'>;         // [B, N]
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

/** One particle's symmetric tensor attention: a jet projection and a rank-k weight tensor. */
export class AssignmentHead {
  readonly proj: Linear;
  readonly weight: Tensor<'f32'>;

  constructor(engine: Engine, width: number, readonly dim: number, readonly k: number, readonly perms: number[][], rand: () => number) {
    this.proj = new Linear(engine, width, dim, 'none', rand);
    // Scores are sums of dim^k terms: this scale keeps their spread O(1) at initialisation.
    const bound = Math.sqrt(3 / dim ** k);
    this.weight = engine.parameter(Float32Array.from({ length: dim ** k }, () => (2 * rand() - 1) * bound), Array(k).fill(dim));
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

  parameters(): Tensor<'f32'>[] {
    return [...this.proj.parameters(), this.weight];
  }
}

/**
 * SPANet-style jet-parton assignment network: per-token embedding, a transformer encoder
 * over jets plus an event token (which carries the global inputs), one symmetric tensor
 * attention head per particle, and detection / regression / classification heads read
 * from the event token.
 */
export class SpanetModel {
  readonly embed: Linear[];
  readonly encoder: TransformerEncoderLayer[];
  readonly finalNorm: LayerNorm;
  readonly assignment: AssignmentHead[];
  readonly detection: Linear;
  readonly regression: Mlp | null;
  readonly classifiers: Linear[];

  constructor(engine: Engine, readonly config: SpanetModelConfig, rand: () => number) {
    const { tokenWidth, width: W } = config;
    this.embed = [new Linear(engine, tokenWidth, W, 'gelu', rand), new Linear(engine, W, W, 'gelu', rand)];
    this.encoder = Array.from({ length: config.layers }, () => new TransformerEncoderLayer(engine, W, config.heads, config.ffWidth, rand));
    this.finalNorm = new LayerNorm(engine, W);
    this.assignment = config.particles.map((p) => new AssignmentHead(engine, W, config.assignDim, p.k, p.perms, rand));
    this.detection = new Linear(engine, W, 2 * config.particles.length, 'none', rand);
    this.regression = config.regressions ? new Mlp(engine, { sizes: [W, W, config.regressions], activation: 'gelu' }, rand) : null;
    this.classifiers = config.classCounts.map((c) => new Linear(engine, W, c, 'none', rand));
  }

  forward(inp: SpanetInputs, B: number, N: number): SpanetOutputs {
    let h = this.embed.reduce((x, l) => l.forward(x), inp.tokens);
    for (const layer of this.encoder) h = layer.forward(h, inp.attnMask, { B, N });
    h = this.finalNorm.forward(h);
    const jets = sliceRows(h, 0, B * N);
    const event = sliceRows(h, B * N, B);
    const logProbs = this.assignment.map((head, p) =>
      assignmentLogSoftmax(head.forward(jets, B, N), inp.jetMask, this.config.particles[p].k));
    return {
      logProbs,
      detectionLogits: reshape(this.detection.forward(event), [B * this.config.particles.length, 2]),
      regression: this.regression ? this.regression.forward(event) : null,
      classLogits: this.classifiers.map((c) => c.forward(event)),
    };
  }

  parameters(): Tensor<'f32'>[] {
    return [
      ...this.embed.flatMap((l) => l.parameters()),
      ...this.encoder.flatMap((l) => l.parameters()),
      ...this.finalNorm.parameters(),
      ...this.assignment.flatMap((a) => a.parameters()),
      ...this.detection.parameters(),
      ...(this.regression?.parameters() ?? []),
      ...this.classifiers.flatMap((c) => c.parameters()),
    ];
  }

  /** Every parameter under a stable name (safetensors, ONNX initialisers). */
  namedParameters(): [string, Tensor<'f32'>][] {
    const out: [string, Tensor<'f32'>][] = [];
    const lin = (name: string, l: Linear) => out.push([`${name}.weight`, l.weight], [`${name}.bias`, l.bias]);
    const ln = (name: string, l: LayerNorm) => out.push([`${name}.gamma`, l.gamma], [`${name}.beta`, l.beta]);
    this.embed.forEach((l, i) => lin(`embed.${i}`, l));
    this.encoder.forEach((l, i) => {
      ln(`encoder.${i}.ln1`, l.ln1); lin(`encoder.${i}.qkv`, l.qkv); lin(`encoder.${i}.proj`, l.proj);
      ln(`encoder.${i}.ln2`, l.ln2); lin(`encoder.${i}.ff1`, l.ff1); lin(`encoder.${i}.ff2`, l.ff2);
    });
    ln('final_norm', this.finalNorm);
    this.assignment.forEach((a, i) => {
      const name = this.config.particles[i].name;
      lin(`assignment.${name}.proj`, a.proj);
      out.push([`assignment.${name}.weight`, a.weight]);
    });
    lin('detection', this.detection);
    this.regression?.layers.forEach((l, i) => lin(`regression.${i}`, l));
    this.classifiers.forEach((c, i) => lin(`classification.${i}`, c));
    return out;
  }
}
