/**
 * SPANet encoder training step: the jet transformer of src/nn/spanet.ts (two GELU embedding
 * layers, pre-norm encoder layers with masked multi-head attention and a GELU MLP, final
 * layer norm) with a linear regression head on the event token, MSE, Adam. The assignment
 * heads are left out: the issue measures the encoder. tfjs runs the same encoder
 * (cases/spanetTfjs.ts) from our weights, tokens as [events, jets + 1, features].
 */
import * as tf from '@tensorflow/tfjs-core';
import { seededRandom } from '../../../src/nn/init';
import { Linear, transpose2d } from '../../../src/nn/linear';
import { LayerNorm, TransformerEncoderLayer } from '../../../src/nn/transformer';
import { mse } from '../../../src/tensor/ops/losses';
import { sliceRows } from '../../../src/tensor/ops/rows';
import type { Tensor } from '../../../src/tensor/tensor';
import { Adam } from '../../../src/train/adam';
import { trainingPair } from '../trainingPair';
import { oursSettle, tfjsSettle, type BenchContext, type PreparedCase } from '../context';
import type { CaseSpec } from '../types';
import { eventMajorTokens, syntheticJetTokens } from './jetTokens';
import { TfjsEncoder } from './spanetTfjs';

const HYPER = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
/**
 * Tolerances. Products of ≤ 256 terms, softmaxes over ≤ 11 keys and layer norms over 128
 * features differ by ≲ 1e-6 relative between orderings; the loss is a mean over events of
 * one output, so it agrees to ~1e-6 (1e-4 allowed). Gradients pass 6 layers of attention
 * and layer norm backward: 1e-3 of each tensor's scale. After 3 Adam steps (updates ≈ lr·sign(g)),
 * a near-zero gradient entry can move a weight by up to 2·lr apart: 1e-2 on the loss.
 */
const TOL_LOSS = 1e-4;
const TOL_GRAD = 1e-3;
const TOL_LOSS_AFTER_STEPS = 1e-2;
const CHECK_STEPS = 3;
const JET_FEATURES = 4;
const GLOBAL_FEATURES = 2;

type SpanetSpec = Extract<CaseSpec, { kind: 'spanet' }>;

export async function prepareSpanetEncoder({ engine: e, tfBackend }: BenchContext, spec: SpanetSpec): Promise<PreparedCase> {
  const { events: B, jets: N, layers, width: W, heads } = spec;
  const ffWidth = 2 * W; // as the SPANet task builds its encoder
  const rand = seededRandom(51);
  const inputs = syntheticJetTokens(B, N, JET_FEATURES, GLOBAL_FEATURES, seededRandom(52));
  const tokenWidth = inputs.tokenWidth;
  const target = Float32Array.from({ length: B }, () => 2 * rand() - 1);

  const embed = [new Linear(e, tokenWidth, W, 'gelu', rand), new Linear(e, W, W, 'gelu', rand)];
  const encoder = Array.from({ length: layers }, () => new TransformerEncoderLayer(e, W, heads, ffWidth, rand));
  const finalNorm = new LayerNorm(e, W);
  const head = new Linear(e, W, 1, 'none', rand);
  const params = [
    ...embed.flatMap((l) => l.parameters()),
    ...encoder.flatMap((l) => l.parameters()),
    ...finalNorm.parameters(),
    ...head.parameters(),
  ];
  const tokens = e.fromArray(inputs.tokens, [B * N + B, tokenWidth]).keep();
  const mask = e.fromArray(inputs.mask, [B, N + 1], { dtype: 'u32' }).keep();
  const y = e.fromArray(target, [B, 1]).keep();
  const adam = new Adam(e, params, HYPER);

  // The only matrices are Linear weights, [out, in] here and [in, out] in the tfjs twin.
  const toTfjs = (p: Tensor<'f32'>, d: Float32Array) => (p.rank === 2 ? transpose2d(d, p.shape[0], p.shape[1]) : d);
  const net = new TfjsEncoder(
    await Promise.all(
      params.map(async (p) => ({
        data: toTfjs(p, await p.read()),
        shape: p.rank === 2 ? [p.shape[1], p.shape[0]] : [...p.shape],
      })),
    ),
    layers,
    heads,
  );
  const tfjsGradToOurs = (g: Float32Array, i: number) =>
    params[i].rank === 2 ? transpose2d(g, params[i].shape[1], params[i].shape[0]) : g;
  const tTokens = tf.tensor3d(eventMajorTokens(inputs.tokens, B, N, tokenWidth), [B, N + 1, tokenWidth]);
  // Additive mask on the scores: −1e9 underflows exp to exactly 0, as our kernel skips the key.
  const tMaskBias = tf.tensor4d(
    Float32Array.from(inputs.mask, (m) => (m ? 0 : -1e9)),
    [B, 1, 1, N + 1],
  );
  const tY = tf.tensor2d(target, [B, 1]);
  const tfAdam = tf.train.adam(HYPER.lr, HYPER.beta1, HYPER.beta2, HYPER.eps);

  const oursLoss = (): Tensor<'f32'> => {
    let h = embed.reduce((t, l) => l.forward(t), tokens);
    for (const layer of encoder) h = layer.forward(h, mask, { B, N });
    return mse(head.forward(sliceRows(finalNorm.forward(h), B * N, B)), y);
  };
  const tfjsLoss = (): tf.Scalar => tf.mean(tf.squaredDifference(net.forward(tTokens, tMaskBias), tY));

  const { oursStep, tfjsStep, checkAgreement } = trainingPair({
    e,
    params,
    adam,
    oursLoss,
    tfAdam,
    vars: net.vars,
    tfjsLoss,
    tfjsGradToOurs,
  });

  // Per layer and token: qkv, proj, ff1, ff2 matmuls (2·(3W² + W² + 2·W·ff)), attention 4·T·W.
  const rows = B * N + B;
  const layerFlops = rows * (2 * (4 * W * W + 2 * W * ffWidth) + 4 * (N + 1) * W);
  const embedFlops = 2 * rows * (tokenWidth * W + W * W);
  return {
    id: `spanet-${B}x${N}-${layers}x${W}`,
    label: `SPANet encoder train step, ${B} events × ≤ ${N} jets, ${layers} layers × ${W} wide, ${heads} heads`,
    // Backward ≈ twice the forward.
    flops: 3 * (embedFlops + layers * layerFlops),
    ours: { step: oursStep, settle: oursSettle(e) },
    tfjs: { step: tfjsStep, settle: tfjsSettle(tfBackend) },
    items: { count: B, unit: 'events' },
    check: () => checkAgreement({ loss: TOL_LOSS, grad: TOL_GRAD, afterSteps: TOL_LOSS_AFTER_STEPS, steps: CHECK_STEPS }),
    dispose() {
      adam.dispose();
      for (const t of [...params, tokens, mask, y]) t.dispose();
      net.dispose();
      tf.dispose([tTokens, tMaskBias, tY]);
      tfAdam.dispose();
    },
  };
}
