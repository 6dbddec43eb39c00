import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { spanetOutputNames } from '../../src/tasks/spanet/onnx';
import { spanetFeeds } from '../../src/tasks/spanet/onnxFeeds';
import { LOG_ZERO } from '../../src/tensor/ops/softmax';
import { SPANET_DEFAULTS, SpanetRun } from '../../src/tasks/spanet/task';
import type { Engine } from '../../src/tensor/engine';
import { Trainer } from '../../src/train/trainer';
import { testEngine } from '../helpers/engine';
import { expectClose } from '../helpers/opcheck';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
  ort.env.wasm.numThreads = 1;
});

/** The app's feeds (src/tasks/spanet/onnxFeeds.ts) as onnxruntime tensors. */
function feeds(run: SpanetRun, events: number[]) {
  const out: Record<string, ort.Tensor> = {};
  for (const [name, f] of Object.entries(spanetFeeds(run.spec, run.data, events, { raw: run.config.onnxInputLogTransform }))) {
    out[name] = new ort.Tensor(f.data instanceof Uint8Array ? 'bool' : 'float32', f.data as Float32Array, f.dims);
  }
  return out;
}

async function compare(run: SpanetRun, logOutputs: boolean) {
  const model = await run.exportOnnx();
  expect(model.byteLength).toBeGreaterThan(1000);
  // upstream's dynamic axis names are in the graph's declared shapes
  const text = new TextDecoder('latin1').decode(model);
  for (const i of run.spec.inputs) expect(text, `num_${i.name}`).toContain(`num_${i.name}`);
  expect(text).toContain('batch_size');
  expect(run.lastOnnxCheck).toMatch(/onnxruntime-web agrees/);
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
  try {
    const names = spanetOutputNames(run.spec, logOutputs);
    expect([...session.outputNames].sort()).toEqual([...names].sort());
    const batch = run.test[0];
    const events = batch.host.events.filter((x) => x >= 0);
    const B = events.length;
    const res = await session.run(feeds(run, events));
    const pred = await run.predict(batch);
    const P = run.spec.particles.length;
    // f32 on both sides with different summation orders through ~2 transformer layers and a
    // softmax over ≤ N³ entries: agreement to ~1e-5 absolute on probabilities and 1e-4
    // relative on log-probabilities is what round-off allows; a wrong weight or index is O(1).
    run.spec.particles.forEach((p, i) => {
      const k = p.products.length;
      const S = run.data.N ** k;
      const got = res[`${p.name}_assignment_${logOutputs ? 'log_probability' : 'probability'}`];
      expect(got.dims).toEqual([B, ...Array(k).fill(run.data.N)]);
      const ours = pred.logProbs[i].subarray(0, B * S);
      const theirs = got.data as Float32Array;
      if (logOutputs) {
        const live = [...ours.keys()].filter((j) => ours[j] !== Math.fround(LOG_ZERO));
        expect(live.length).toBeGreaterThan(B);
        // invalid tuples: −inf in the export (upstream's), LOG_ZERO in the engine
        expect([...ours.keys()].filter((j) => ours[j] === Math.fround(LOG_ZERO)).every((j) => theirs[j] === -Infinity)).toBe(true);
        expectClose(
          live.map((j) => theirs[j]),
          live.map((j) => ours[j]),
          1e-4,
          1e-4,
          `${p.name} log-probability`,
        );
      } else {
        expectClose(theirs, ours.map(Math.exp), 1e-3, 1e-5, `${p.name} probability`);
      }
      const det = res[`${p.name}_detection_${logOutputs ? 'log_probability' : 'probability'}`].data as Float32Array;
      const ourDet = Array.from({ length: B }, (_, b) => pred.detection[b * P + i]);
      expectClose(logOutputs ? Array.from(det, Math.exp) : det, ourDet, 1e-4, 1e-5, `${p.name} detection`);
    });
    run.spec.regressions.forEach((name, r) => {
      const R = run.spec.regressions.length;
      expectClose(
        res[name].data as Float32Array,
        Array.from({ length: B }, (_, b) => pred.regression[b * R + r]),
        1e-4,
        1e-4,
        name,
      );
    });
    run.spec.classifications.forEach((name, c) => {
      const C = run.data.classCounts[c];
      const got = Array.from(res[name].data as Float32Array, (v) => (logOutputs ? Math.exp(v) : v));
      expectClose(got, pred.classProbs[c].subarray(0, B * C), 1e-4, 1e-5, name);
    });
  } finally {
    await session.release();
  }
}

const small = { ...SPANET_DEFAULTS, model: 'simple', width: 16, heads: 2, layers: 1, assignDim: 6, batchSize: 8, evalEvents: 8 };

describe('ONNX export with SPANet naming, checked in onnxruntime-web', () => {
  it('synthetic tt̄ (two triplets, t1 ↔ t2, no global input): probabilities', async () => {
    const run = new SpanetRun(e, { ...small, demoEvents: 64, maxJets: 7 });
    // a few steps so the weights are not the symmetric initial ones
    const tr = new Trainer(e, run, { lr: 3e-3 }, 5);
    await tr.runSteps(3, () => {});
    await compare(run, false);
    tr.dispose();
  });
  it('ttH-like layout (singlet, pair, triplet, global input, regression, classification): log outputs', async () => {
    const { syntheticTtH } = await import('./fixtures');
    const run = new SpanetRun(e, { ...small, logOutputs: true }, { tables: syntheticTtH(48, 9) });
    await compare(run, true);
    run.dispose();
  });
  it('input log transform: raw features in, the same outputs', async () => {
    const { syntheticTtH } = await import('./fixtures');
    const run = new SpanetRun(e, { ...small, onnxInputLogTransform: true }, { tables: syntheticTtH(48, 9) });
    // the raw feeds differ from the stored log features: the graph must take the log itself
    const ev = run.test[0].host.events.filter((x) => x >= 0);
    const raw = spanetFeeds(run.spec, run.data, ev, { raw: true }).Momenta_data.data as Float32Array;
    const stored = spanetFeeds(run.spec, run.data, ev).Momenta_data.data as Float32Array;
    expect(raw.some((v, i) => Math.abs(v - stored[i]) > 1)).toBe(true);
    await compare(run, false);
    run.dispose();
  });
});
