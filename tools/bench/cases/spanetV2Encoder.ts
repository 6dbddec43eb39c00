/**
 * Like-for-like SPANet v2 encoder training step at upstream's tt̄ options
 * (options_files/full_hadronic_ttbar/example.json, event_files/full_hadronic_ttbar.yaml): the
 * input embedding (normaliser, GRU embedding stack 5→16→32→64, position embedding, final GRU
 * block 96→64) and the central gated encoder (particle vector, 6 GTrXL layers, 4 heads) of our
 * port (src/nn/spanetUpstream: MultiInputVectorEmbedding + StackedEncoder), against the same
 * modules written in tfjs-core (cases/spanetUpstreamTfjs.ts) from the same weights. Each side:
 * forward, loss = mean over real vectors (particle vector included) and features of the
 * encoder output squared (padding rows are zero after the Filling masking), backward, Adam.
 */
import * as tf from '@tensorflow/tfjs-core';
import optionsJson from '../../../tests/fixtures/spanet-upstream/options_files/full_hadronic_ttbar/example.json?raw';
import eventYaml from '../../../tests/fixtures/spanet-upstream/event_files/full_hadronic_ttbar.yaml?raw';
import { optionInt, seededRand } from '../../../src/nn/spanetUpstream/config';
import { MultiInputVectorEmbedding } from '../../../src/nn/spanetUpstream/embedding';
import { StackedEncoder } from '../../../src/nn/spanetUpstream/stackedEncoder';
import { parseEventFile } from '../../../src/tasks/spanet/eventSpec';
import { readOptionsJson, type SpanetOptions } from '../../../src/tasks/spanet/options';
import type { Engine } from '../../../src/tensor/engine';
import { add, scale } from '../../../src/tensor/ops/elementwise';
import { sumAxes } from '../../../src/tensor/ops/reduceAxes';
import { square } from '../../../src/tensor/ops/unary';
import type { Tensor } from '../../../src/tensor/tensor';
import { Adam } from '../../../src/train/adam';
import { fmt, maxNormRelDiff } from '../agreement';
import { oursSettle, tfjsSettle, type BenchContext, type PreparedCase } from '../context';
import { workgroupSoftmaxVariant } from '../softmaxVariant';
import { trainingPair } from '../trainingPair';
import type { CaseSpec } from '../types';
import { syntheticTtbarJets } from './ttbarJets';
import { TfjsUpstreamEncoder } from './spanetUpstreamTfjs';

type F = Tensor<'f32'>;

/** Upstream's learning_rate; plain Adam on both sides (tfjs has no AdamW). */
const HYPER = { lr: 1.5e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
/**
 * Tolerances (f32 both sides, different kernels and summation orders). Each layer's products
 * sum ≤ 192 terms and its layer norms and softmaxes ≤ 64 / 11, so a layer adds ~1e-6 relative
 * error; through 4 embedding blocks and 6 gated layers, whose GRU gates (sigmoid/tanh) do not
 * amplify it, the outputs agree to ~1e-5 of their scale; tfjs's erf (Abramowitz–Stegun 7.1.26,
 * 1.5e-7 absolute) adds less. 1e-4 on outputs and loss leaves ~10× margin, while a wrong
 * weight, mask or layout moves them by ≥ 1e-2. Gradients pass the same network backward:
 * 1e-3 of each tensor's scale. After 3 Adam steps (updates ≈ lr·sign(g)) a near-zero gradient
 * entry can move a weight by up to 2·lr apart: 1e-2 on the loss.
 */
const TOL_OUT = 1e-4;
const TOL_LOSS = 1e-4;
const TOL_GRAD = 1e-3;
const TOL_LOSS_AFTER_STEPS = 1e-2;
const CHECK_STEPS = 3;

type Spec = Extract<CaseSpec, { kind: 'spanet-v2-encoder' }>;

/** Our embedding + encoder, their parameters by state-dict name, and the step's inputs. */
export interface OursEncoder {
  embedding: MultiInputVectorEmbedding;
  encoder: StackedEncoder;
  named: [string, F][];
  /** The normaliser's mean and std (buffers, not trained). */
  normalizer: { mean: Float32Array; std: Float32Array };
  /** encoder output: particle vector [B, D] and vectors [T, B, D] */
  forward(): { particle: F; vectors: F };
  loss(): F;
  dispose(): void;
}

/**
 * Our port's embedding and encoder built from upstream's options, fed `data` [B, T, I] with
 * `mask` [B, T]; the normaliser's statistics are upstream's (mean and unbiased σ of the
 * normalised features over real vectors). Exported for the tfjs-twin test.
 */
export function oursUpstreamEncoder(
  e: Engine,
  options: SpanetOptions,
  eventText: string,
  data: Float32Array,
  mask: Uint8Array,
  B: number,
  T: number,
  seed = 7,
): OursEncoder {
  const spec = parseEventFile(eventText);
  if (spec.inputs.length !== 1 || spec.inputs[0].kind !== 'sequential') throw new Error('spanet-v2-encoder: one SEQUENTIAL input expected');
  const rand = seededRand(seed);
  const embedding = new MultiInputVectorEmbedding(e, options, spec.inputs, rand);
  const encoder = new StackedEncoder(e, options, 0, optionInt(options, 'num_encoder_layers'), rand);
  const named: [string, F][] = [
    ...embedding.namedParameters().map(([n, t]): [string, F] => [`embedding.${n}`, t]),
    ...encoder.namedParameters().map(([n, t]): [string, F] => [`encoder.${n}`, t]),
  ];
  const features = spec.inputs[0].features;
  const I = features.length;
  const mean = new Float32Array(I);
  const std = new Float32Array(I).fill(1);
  features.forEach((f, c) => {
    if (f.transform !== 'normalize' && f.transform !== 'log_normalize') return;
    const xs: number[] = [];
    for (let r = 0; r < B * T; r++) if (mask[r]) xs.push(data[r * I + c]);
    const m = xs.reduce((a, x) => a + x, 0) / xs.length;
    mean[c] = m;
    std[c] = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1)) || 1;
  });
  const norm = embedding.inputs[0].normalizer;
  if (!norm) throw new Error('spanet-v2-encoder: normalize_features is expected on');
  e.gpu.write(norm.mean.buffer, mean);
  e.gpu.write(norm.std.buffer, std);
  const dataT = e.fromArray(data, [B, T, I]).keep();
  const D = optionInt(options, 'hidden_dim');
  const realVectors = mask.reduce((a, m) => a + (m ? 1 : 0), 0) + B; // + the particle vectors
  const forward = () => {
    const { embeddings, masks } = embedding.forward([{ data: dataT, mask }]);
    return encoder.forward(embeddings, masks);
  };
  return {
    embedding,
    encoder,
    named,
    normalizer: { mean, std },
    forward,
    loss() {
      const { particle, vectors } = forward();
      return scale(add(sumAxes(square(particle)), sumAxes(square(vectors))), 1 / (realVectors * D));
    },
    dispose() {
      dataT.dispose();
      embedding.dispose();
      encoder.dispose();
    },
  };
}

/** The tfjs twin's step inputs from the same host arrays. */
export function tfjsEncoderInputs(data: Float32Array, mask: Uint8Array, B: number, T: number, I: number) {
  const seq = new Float32Array(T * B);
  const seqP = new Float32Array((T + 1) * B).fill(1, 0, B);
  const bias = new Float32Array(B * (T + 1));
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) {
      seq[t * B + b] = mask[b * T + t];
      seqP[(t + 1) * B + b] = mask[b * T + t];
      bias[b * (T + 1) + t + 1] = mask[b * T + t] ? 0 : -1e9; // exp underflows to exactly 0, as our kernel skips the key
    }
  return {
    data: tf.tensor3d(data, [B, T, I]),
    batchMask: tf.tensor3d(Float32Array.from(mask), [B, T, 1]),
    sequenceMask: tf.tensor3d(seq, [T, B, 1]),
    sequenceMaskWithParticle: tf.tensor3d(seqP, [T + 1, B, 1]),
    keyBias: tf.tensor4d(bias, [B, 1, 1, T + 1]),
  };
}

/** The tfjs twin of `ours` from its current weights. */
export async function tfjsTwin(ours: OursEncoder, heads: number): Promise<TfjsUpstreamEncoder> {
  const params = await Promise.all(ours.named.map(async ([name, t]) => ({ name, data: await t.read(), shape: [...t.shape] })));
  return new TfjsUpstreamEncoder(params, { mean: tf.tensor1d(ours.normalizer.mean), std: tf.tensor1d(ours.normalizer.std) }, heads);
}

export async function prepareSpanetV2Encoder({ engine: e, tfBackend }: BenchContext, spec: Spec): Promise<PreparedCase> {
  const options = readOptionsJson(optionsJson).options;
  const B = spec.events ?? optionInt(options, 'batch_size');
  const T = spec.jets ?? 10;
  const heads = optionInt(options, 'num_attention_heads');
  const D = optionInt(options, 'hidden_dim');
  const jets = syntheticTtbarJets(B, T, 17);
  const ours = oursUpstreamEncoder(e, options, eventYaml, jets.data, jets.mask, B, T);
  const params = ours.named.map(([, t]) => t);
  const adam = new Adam(e, params, HYPER);
  const net = await tfjsTwin(ours, heads);
  const inputs = tfjsEncoderInputs(jets.data, jets.mask, B, T, jets.features);
  const realVectors = jets.mask.reduce((a, m) => a + m, 0) + B;
  const tfjsOut = () => net.forward(inputs);
  const tfjsLoss = (): tf.Scalar => tf.div(tf.sum(tf.square(tfjsOut())), realVectors * D);
  const tfAdam = tf.train.adam(HYPER.lr, HYPER.beta1, HYPER.beta2, HYPER.eps);
  const pair = trainingPair({ e, params, adam, oursLoss: () => ours.loss(), tfAdam, vars: net.vars, tfjsLoss });

  /** Encoder outputs of both sides from the current weights, as [T + 1, B, D]. */
  const forwardDiff = async (): Promise<number> => {
    const { particle, vectors } = e.scope(() => {
      const o = ours.forward();
      return { particle: o.particle.keep(), vectors: o.vectors.keep() };
    });
    const [p, v] = await Promise.all([particle.read(), vectors.read()]);
    particle.dispose();
    vectors.dispose();
    const mine = new Float32Array(p.length + v.length);
    mine.set(p);
    mine.set(v, p.length);
    const theirs = tf.tidy(tfjsOut);
    const t = (await theirs.data()) as Float32Array;
    theirs.dispose();
    return maxNormRelDiff(mine, t);
  };

  const ourSide = { step: pair.oursStep, settle: oursSettle(e) };
  return {
    id: `spanet-v2-encoder-${B}x${T}`,
    label: `SPANet v2 embedding + gated encoder train step (like for like), upstream full_hadronic_ttbar options, ${B} events × ≤ ${T} jets`,
    flops: 0,
    ours: ourSide,
    tfjs: { step: pair.tfjsStep, settle: tfjsSettle(tfBackend) },
    variants: [workgroupSoftmaxVariant(ourSide)],
    items: { count: B, unit: 'events' },
    async check() {
      const out = await forwardDiff();
      const train = await pair.checkAgreement({ loss: TOL_LOSS, grad: TOL_GRAD, afterSteps: TOL_LOSS_AFTER_STEPS, steps: CHECK_STEPS });
      const okOut = out <= TOL_OUT;
      return { ok: okOut && train.ok, detail: `encoder outputs max rel ${fmt(out)} ≤ ${TOL_OUT}; ${train.detail}` };
    },
    dispose() {
      adam.dispose();
      ours.dispose();
      net.dispose();
      tf.dispose(Object.values(inputs));
      tfAdam.dispose();
    },
  };
}
