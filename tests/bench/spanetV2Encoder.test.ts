/**
 * The bench's tfjs twin of our upstream SPANet embedding + gated encoder (tools/bench/cases/
 * spanetUpstreamTfjs.ts) on tfjs's CPU backend against our port on Dawn, at a small
 * configuration with every weight perturbed (so layer-norm affines, gate biases and the
 * position and particle vectors all matter): same outputs, loss and gradients, so the bench's
 * like-for-like ratio times the same computation. The bench case itself repeats this check
 * on the WebGPU backend at upstream's sizes before timing.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import eventYaml from '../fixtures/spanet-upstream/event_files/full_hadronic_ttbar.yaml?raw';
import { seededRandom } from '../../src/nn/init';
import { readOptionsJson } from '../../src/tasks/spanet/options';
import type { Engine } from '../../src/tensor/engine';
import { Adam } from '../../src/train/adam';
import { maxNormRelDiff } from '../../tools/bench/agreement';
import { oursUpstreamEncoder, tfjsEncoderInputs, tfjsTwin } from '../../tools/bench/cases/spanetV2Encoder';
import { syntheticTtbarJets } from '../../tools/bench/cases/ttbarJets';
import { trainingPair } from '../../tools/bench/trainingPair';
import { testEngine } from '../helpers/engine';

// Same reasoning as the bench case's tolerances (f32 on both sides, 2 gated layers here).
const TOL_OUT = 1e-4;
const TOL_GRAD = 1e-3;

const OPTIONS = JSON.stringify({
  hidden_dim: 16,
  initial_embedding_dim: 4, // blocks 5→4→8→16, so the stack has a doubling block and projections
  position_embedding_dim: 8,
  num_encoder_layers: 2,
  num_attention_heads: 2,
  linear_block_type: 'GRU',
  transformer_type: 'Gated',
  linear_activation: 'gelu',
  normalization: 'LayerNorm',
  masking: 'Filling',
  skip_connections: true,
  initial_embedding_skip_connections: true,
  normalize_features: true,
});

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
  await tf.setBackend('cpu');
});

describe('tfjs twin of the upstream SPANet embedding + gated encoder', () => {
  it('gives our outputs, loss and gradients from the same (perturbed) weights', async () => {
    const [B, T] = [4, 9];
    const jets = syntheticTtbarJets(B, T, 5);
    expect(jets.mask.some((m) => m === 0)).toBe(true); // padding exercised
    const options = readOptionsJson(OPTIONS).options;
    const ours = oursUpstreamEncoder(e, options, eventYaml, jets.data, jets.mask, B, T, 3);
    const rand = seededRandom(11);
    for (const [, t] of ours.named) {
      const w = await t.read();
      e.gpu.write(
        t.buffer,
        Float32Array.from(w, (x) => x + 0.3 * (2 * rand() - 1)),
      );
    }
    const net = await tfjsTwin(ours, 2);
    const inputs = tfjsEncoderInputs(jets.data, jets.mask, B, T, jets.features);
    const realVectors = jets.mask.reduce((a, m) => a + m, 0) + B;

    const { particle, vectors } = e.scope(() => {
      const o = ours.forward();
      return { particle: o.particle.keep(), vectors: o.vectors.keep() };
    });
    const mine = [...(await particle.read()), ...(await vectors.read())];
    particle.dispose();
    vectors.dispose();
    const theirs = tf.tidy(() => net.forward(inputs));
    expect(theirs.shape).toEqual([T + 1, B, 16]);
    const t = theirs.dataSync();
    theirs.dispose();
    // Padded vectors are exactly zero on both sides (Filling masking after every block).
    for (let b = 0; b < B; b++)
      for (let j = 0; j < T; j++)
        if (!jets.mask[b * T + j])
          for (let d = 0; d < 16; d++) {
            const i = ((j + 1) * B + b) * 16 + d;
            expect(Math.abs(t[i]) + Math.abs(mine[i])).toBe(0); // ±0 (a product with the 0 mask)
          }
    expect(maxNormRelDiff(mine, t)).toBeLessThan(TOL_OUT);

    const params = ours.named.map(([, p]) => p);
    const adam = new Adam(e, params, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    const tfAdam = tf.train.adam(1e-3);
    const pair = trainingPair({
      e,
      params,
      adam,
      oursLoss: () => ours.loss(),
      tfAdam,
      vars: net.vars,
      tfjsLoss: () => tf.div(tf.sum(tf.square(net.forward(inputs))), realVectors * 16),
    });
    const a = await pair.oursLossAndGrads();
    const b = await pair.tfjsLossAndGrads();
    expect(Math.abs(a.loss - b.loss) / b.loss).toBeLessThan(TOL_OUT);
    ours.named.forEach(([name], i) => {
      const d = maxNormRelDiff(a.grads[i], b.grads[i]);
      if (!(d < TOL_GRAD)) throw new Error(`${name}: gradient max rel ${d}`);
    });
    // Every parameter gets a gradient (no weight of the twin left out of the computation).
    expect(b.grads.every((g) => g.some((x) => x !== 0))).toBe(true);
    adam.dispose();
    tfAdam.dispose();
    net.dispose();
    ours.dispose();
    tf.dispose(Object.values(inputs));
  }, 120_000);
});
