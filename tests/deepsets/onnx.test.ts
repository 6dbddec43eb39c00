import { beforeAll, describe, expect, it } from 'vitest';
import { attr, OnnxGraphBuilder } from '../../src/export/onnx/graph';
import { addActivation, addDense, type OnnxActivation } from '../../src/export/onnx/layers';
import { ProtoWriter } from '../../src/export/onnx/protobuf';
import { maxAbsDifference, runOnnx } from '../../src/export/verifyOnnx';
import type { Engine } from '../../src/tensor/engine';
import { UNARY_REF } from '../../src/tensor/reference/elementwise';
import { deepSetOnnxFeeds } from '../../src/tasks/deepsets/onnx';
import { deepSetsTask, DeepSetsRun, ONNX_TOLERANCE } from '../../src/tasks/deepsets/task';
import { Trainer } from '../../src/train/trainer';
import { testEngine } from '../helpers/engine';
import { expectClose } from '../helpers/opcheck';
import { learnableSetsData } from './fixtures';

const bytes = (w: ProtoWriter) => Array.from(w.finish());

describe('protobuf encoder', () => {
  it('writes the wire format of the protobuf documentation examples', () => {
    expect(bytes(new ProtoWriter().int(1, 150))).toEqual([0x08, 0x96, 0x01]);
    expect(bytes(new ProtoWriter().string(2, 'testing'))).toEqual([0x12, 0x07, ...Array.from('testing', (c) => c.charCodeAt(0))]);
    expect(bytes(new ProtoWriter().message(3, (m) => m.int(1, 150)))).toEqual([0x1a, 0x03, 0x08, 0x96, 0x01]);
    expect(bytes(new ProtoWriter().packedInts(4, [3, 270, 86942]))).toEqual([0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05]);
  });

  it('writes negative int64 as ten-byte two’s complement, floats as fixed32', () => {
    expect(bytes(new ProtoWriter().int(1, -1))).toEqual([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(bytes(new ProtoWriter().float(2, 1))).toEqual([0x15, 0x00, 0x00, 0x80, 0x3f]);
    expect(() => new ProtoWriter().int(1, 0.5)).toThrow(/integer/);
  });

  it('grows past its initial buffer', () => {
    const big = new Uint8Array(10_000).map((_, i) => i % 251);
    const out = new ProtoWriter().bytes(1, big).finish();
    expect(out.length).toBe(1 + 2 + 10_000);
    expect(Array.from(out.subarray(3, 8))).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('ONNX graph builder', () => {
  it('refuses undefined inputs, duplicate names and outputs nobody computes', () => {
    const b = new OnnxGraphBuilder('g');
    const x = b.input('x', 'float', [2]);
    expect(() => b.node('Relu', ['nope'])).toThrow(/before it is defined/);
    expect(() => b.input('x', 'float', [2])).toThrow(/twice/);
    expect(() => b.output('y', 'float', [2])).toThrow(/never computed/);
    expect(() => b.encode()).toThrow(/no outputs/);
    b.alias(b.node('Relu', [x]), 'y');
    b.output('y', 'float', [2]);
    expect(b.encode().length).toBeGreaterThan(20);
  });

  it('dense layers and every activation run in onnxruntime-web like the engine’s formulas', async () => {
    const rows = 5,
      inW = 3,
      outW = 4;
    const xs = Float32Array.from({ length: rows * inW }, (_, i) => Math.sin(i) * 3);
    const w = { shape: [outW, inW], data: Float32Array.from({ length: inW * outW }, (_, i) => Math.cos(i)) }; // [out, in] as torch
    const bias = { shape: [outW], data: Float32Array.from({ length: outW }, (_, i) => 0.1 * i - 0.2) };
    for (const act of ['none', 'relu', 'gelu', 'sigmoid', 'tanh'] as OnnxActivation[]) {
      const b = new OnnxGraphBuilder('dense');
      const x = b.input('x', 'float', ['n', inW]);
      b.alias(addDense(b, x, 'layer', w, bias, act), 'y');
      b.output('y', 'float', ['n', outW]);
      const out = await runOnnx(b.encode(), { x: { data: xs, dims: [rows, inW] } });
      const expected = new Float64Array(rows * outW);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < outW; c++) {
          let s = bias.data[c];
          for (let k = 0; k < inW; k++) s += xs[r * inW + k] * w.data[c * inW + k];
          expected[r * outW + c] = UNARY_REF[act](s, 1);
        }
      }
      expect(out.y.dims).toEqual([rows, outW]);
      // f32 evaluation of 3-term products and one transcendental: ~1e-6.
      expectClose(out.y.data, expected, 1e-5, 1e-5, act);
    }
    // addActivation on its own is the same code path; a scalar input checks broadcasting of constants.
    const b = new OnnxGraphBuilder('act');
    b.alias(addActivation(b, b.input('x', 'float', [1]), 'gelu'), 'y');
    b.output('y', 'float', [1]);
    const y = await runOnnx(b.encode(), { x: { data: new Float32Array([-0.7]), dims: [1] } });
    expect(y.y.data[0]).toBeCloseTo(UNARY_REF.gelu(-0.7, 1), 6);
  });

  it('writes attributes of every kind (checked by onnxruntime running them)', async () => {
    const b = new OnnxGraphBuilder('attrs');
    const x = b.input('x', 'float', [2, 3]);
    const t = b.node('Transpose', [x], { perm: attr.ints([1, 0]) });
    const c = b.node('Constant', [], { value: attr.tensor({ dtype: 'float', dims: [3, 1], data: [1, 2, 3] }) });
    const g = b.node('Gemm', [t, b.floats('w', [1, -1], [2, 1]), c], { alpha: attr.float(2), beta: attr.float(1) });
    b.alias(g, 'y');
    b.output('y', 'float', [3, 1]);
    const out = await runOnnx(b.encode(), { x: { data: new Float32Array([1, 2, 3, 4, 5, 6]), dims: [2, 3] } });
    // xᵀ·[1,-1]ᵀ = [1-4, 2-5, 3-6] = -3 each; ·2 + [1,2,3]
    expect(Array.from(out.y.data)).toEqual([-5, -4, -3]);
  });
});

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

describe('Deep Set export', () => {
  const cases = [
    { pool: 'sum', activation: 'relu', classes: 0 },
    { pool: 'mean', activation: 'gelu', classes: 0 },
    { pool: 'max', activation: 'tanh', classes: 0 },
    { pool: 'max', activation: 'relu', classes: 2 },
  ] as const;
  for (const c of cases) {
    it(`${c.pool} pooling, ${c.activation}, ${c.classes ? 'classification' : 'regression'}: onnxruntime-web agrees with the engine on the test sets`, async () => {
      // Sizes from 0: empty sets exercise the empty-segment convention on both sides.
      const data = learnableSetsData(40, 12, 7, c.classes, 0);
      const run = new DeepSetsRun(
        e,
        {
          ...deepSetsTask.defaults,
          pool: c.pool,
          activation: c.activation,
          phiWidth: 16,
          phiDepth: 2,
          rhoWidth: 16,
          rhoDepth: 1,
          batchCapacity: 128,
          trainSets: 30,
          testSets: 10,
        },
        data,
      );
      const trainer = new Trainer(e, run, { lr: 1e-2 }, 5);
      await trainer.runSteps(5, () => {});
      const o = run.split.test.sets.offsets;
      expect(
        o.some((v, k) => k > 0 && v === o[k - 1]),
        'the test split holds an empty set',
      ).toBe(true);
      expect(run.lastOnnxCheck).toBeNull();
      const model = await run.exportOnnx(); // verifies internally, throws on disagreement
      expect(run.lastOnnxCheck).toMatch(/agrees on 10 test sets: max \|Δ\| = \d\.\d+e-\d+/);
      const out = await runOnnx(model, deepSetOnnxFeeds(run.split.test.sets));
      const ours = await run.predictTest();
      const got = c.classes ? out.logits : out.prediction;
      expect(got.dims).toEqual(c.classes ? [10, c.classes] : [10]);
      const scale = Math.max(1, ...Array.from(ours, Math.abs));
      const diff = maxAbsDifference(got.data, ours);
      expect(diff).toBeLessThanOrEqual(ONNX_TOLERANCE * scale);
      if (c.classes) {
        const p = out.probabilities.data;
        for (let k = 0; k < 10; k++) expect(p[2 * k] + p[2 * k + 1]).toBeCloseTo(1, 5);
      }
      trainer.dispose();
    });
  }

  it('sets with no element pool to 0 in ONNX as in the engine', async () => {
    const data = learnableSetsData(20, 6, 3);
    const run = new DeepSetsRun(
      e,
      {
        ...deepSetsTask.defaults,
        pool: 'max',
        phiWidth: 8,
        phiDepth: 1,
        rhoWidth: 8,
        rhoDepth: 1,
        activation: 'tanh',
        batchCapacity: 64,
        trainSets: 10,
        testSets: 10,
      },
      data,
    );
    const bytesOut = await run.onnxBytes();
    // Three sets, the middle one empty: its prediction is rho(0) (rho of an all-zero latent).
    const sets = { values: new Float32Array([0.5, -0.5, 0.1, 0.2]), offsets: new Uint32Array([0, 1, 1, 2]), width: 2 };
    const out = await runOnnx(bytesOut, deepSetOnnxFeeds(sets));
    const w = await run.model.namedWeights();
    let y = new Float64Array(8);
    y = Float64Array.from({ length: 8 }, (_, j) => Math.tanh(w['rho.0.bias'].data[j]));
    let pred = w['rho.1.bias'].data[0];
    for (let j = 0; j < 8; j++) pred += y[j] * w['rho.1.weight'].data[j];
    expect(out.prediction.data[1]).toBeCloseTo(pred * run.target.std + run.target.mean, 4);
    run.dispose();
  });

  it('the export check fails when the ONNX model does not match the engine', async () => {
    const data = learnableSetsData(20, 6, 4);
    const cfg = {
      ...deepSetsTask.defaults,
      phiWidth: 8,
      phiDepth: 1,
      rhoWidth: 8,
      rhoDepth: 1,
      batchCapacity: 64,
      trainSets: 10,
      testSets: 10,
    };
    const a = new DeepSetsRun(e, cfg, data);
    const b = new DeepSetsRun(e, { ...cfg, seed: 2 }, data); // other initial weights
    await expect(a.verifyOnnx(await b.onnxBytes())).rejects.toThrow(/ONNX check failed/);
    a.dispose();
    b.dispose();
  });
});
