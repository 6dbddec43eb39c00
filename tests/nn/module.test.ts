// Module: torch's state-dict names and order, strict and non-strict loading, and the
// state-dict dtypes through safetensors.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeStateDict, encodeSafetensors } from '../../src/export/safetensors';
import { seededRandom } from '../../src/nn/init';
import { BatchNorm1d, ReLU } from '../../src/nn/layers';
import { Linear } from '../../src/nn/linear';
import { Module, ModuleList, Sequential, StateDictError } from '../../src/nn/module';
import { bf16ToFloat, floatToBf16, floatToHalf, halfToFloat, type StateDict, type StateEntry } from '../../src/nn/stateDict';
import type { Engine } from '../../src/tensor/engine';
import type { Tensor } from '../../src/tensor/tensor';
import { Adam } from '../../src/train/adam';
import { add, mul } from '../../src/tensor/ops/elementwise';
import { mse } from '../../src/tensor/ops/losses';
import { testEngine } from '../helpers/engine';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

/** The same structure as the script's `Nested` (tools/torch_fixtures/make_conv_fixtures.py), children registered first. */
class Nested extends Module {
  readonly encoder: Sequential;
  readonly scale: Tensor<'f32'>;
  readonly blocks: ModuleList;
  constructor(engine: Engine, seed = 1) {
    super(engine);
    const rand = seededRandom(seed);
    this.encoder = this.registerModule(
      'encoder',
      new Sequential(engine, [new Linear(engine, 3, 4, 'none', rand), new ReLU(engine), new Linear(engine, 4, 2, 'none', rand)]),
    );
    this.scale = this.parameter('scale', Float32Array.from([rand(), rand()]), [2]);
    this.blocks = this.registerModule(
      'blocks',
      new ModuleList(engine, [new BatchNorm1d(engine, 2), new Linear(engine, 2, 2, 'none', rand, { bias: false })]),
    );
    this.registerBuffer('step', engine.fromArray(new Int32Array([7]), [], { dtype: 'i32' }));
    this.registerBuffer('scratch', engine.zeros([2]), { persistent: false });
  }
}

const fixture = () => decodeStateDict(new Uint8Array(readFileSync('tests/fixtures/torch/nested_state.safetensors')), 'nested_state');

/** Plain arrays of a state dict, for deep comparisons. */
const plain = (sd: StateDict) =>
  Object.fromEntries(
    Object.entries(sd).map(([k, v]) => [
      k,
      { dtype: v.dtype, shape: v.shape, data: Array.from(v.data as ArrayLike<number | bigint>, String) },
    ]),
  );

describe('Module names', () => {
  it("names, order, shapes and dtypes are torch's for nested modules, ModuleList and buffers", () => {
    const { state, metadata } = fixture();
    const layout = new Nested(e).stateLayout();
    expect(layout.map(([n]) => n)).toEqual(JSON.parse(metadata.order));
    for (const [n, { tensor, dtype }] of layout) expect([n, dtype, [...tensor.shape]]).toEqual([n, state[n].dtype, state[n].shape]);
  });
  it('namedParameters lists parameters only, depth first; non-persistent buffers stay out of the state dict', () => {
    const m = new Nested(e);
    expect(m.namedParameters().map(([n]) => n)).toEqual([
      'scale',
      'encoder.0.weight',
      'encoder.0.bias',
      'encoder.2.weight',
      'encoder.2.bias',
      'blocks.0.weight',
      'blocks.0.bias',
      'blocks.1.weight',
    ]);
    expect(m.namedBuffers().map(([n]) => n)).toContain('scratch');
    expect(m.stateLayout().map(([n]) => n)).not.toContain('scratch');
  });
  it('a shared parameter is listed once by namedParameters and under both names in the state dict, as torch', () => {
    const rand = seededRandom(2);
    const a = new Linear(e, 2, 2, 'none', rand);
    const b = new Linear(e, 2, 2, 'none', rand, { bias: false });
    b.registerParameter('tied', a.weight);
    const s = new Sequential(e, [a, b]);
    expect(s.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '1.weight']);
    expect(s.stateLayout().map(([n]) => n)).toEqual(['0.weight', '0.bias', '1.weight', '1.tied']);
  });
  it('train() and eval() reach every descendant', () => {
    const m = new Nested(e).eval();
    expect([...m.namedModules()].every(([, c]) => !c.training)).toBe(true);
    m.train();
    expect([...m.namedModules()].every(([, c]) => c.training)).toBe(true);
  });
});

describe('loadStateDict', () => {
  it("loads torch's own state dict strictly (I64 counter included)", async () => {
    const { state } = fixture();
    const m = new Nested(e);
    expect(m.loadStateDict(state)).toEqual({ missing: [], unexpected: [], mismatched: [], loaded: 12 });
    expect(plain(await m.stateDict())).toEqual(plain(state));
  });

  it('strict: missing, unexpected and mis-shaped keys are reported by name and nothing is written', async () => {
    const m = new Nested(e, 3);
    const before = plain(await m.stateDict());
    const sd = { ...fixture().state };
    delete sd['encoder.2.bias'];
    sd['encoder.3.weight'] = { dtype: 'F32', shape: [1], data: new Float32Array(1) };
    sd['blocks.1.weight'] = { dtype: 'F32', shape: [2, 3], data: new Float32Array(6) };
    let err: unknown;
    try {
      m.loadStateDict(sd);
    } catch (x) {
      err = x;
    }
    expect(err).toBeInstanceOf(StateDictError);
    const { report } = err as StateDictError;
    expect(report.missing).toEqual(['encoder.2.bias']);
    expect(report.unexpected).toEqual(['encoder.3.weight']);
    expect(report.mismatched).toEqual(['blocks.1.weight: expected [2, 2] F32, got [2, 3] F32']);
    expect((err as Error).message).toMatch(
      /missing keys: encoder\.2\.bias \| unexpected keys: encoder\.3\.weight \| mismatched: blocks\.1\.weight/,
    );
    expect(plain(await m.stateDict())).toEqual(before);
  });

  it('a float entry for the counter, or a counter beyond 32 bits, is a mismatch and nothing is written', async () => {
    const m = new Nested(e, 4);
    const before = plain(await m.stateDict());
    const floatCounter = { ...fixture().state, step: { dtype: 'F32', shape: [], data: new Float32Array([3]) } as StateEntry };
    expect(() => m.loadStateDict(floatCounter)).toThrow(/step: expected \[\] I64, got \[\] F32/);
    const huge = { ...fixture().state, step: { dtype: 'I64', shape: [], data: BigInt64Array.from([1n << 40n]) } as StateEntry };
    expect(() => m.loadStateDict(huge)).toThrow(/step: value 1099511627776 does not fit/);
    const short = { ...fixture().state, scale: { dtype: 'F32', shape: [2], data: new Float32Array(1) } as StateEntry };
    expect(() => m.loadStateDict(short)).toThrow(/scale: shape \[2\] holds 2 values, the entry has 1/);
    expect(plain(await m.stateDict())).toEqual(before);
  });

  it('non-strict: the matching keys load, missing and unexpected ones are reported', async () => {
    const m = new Nested(e, 5);
    const before = await m.stateDict();
    const full = fixture().state;
    const sd: StateDict = { scale: full.scale, 'encoder.0.weight': full['encoder.0.weight'], extra: full.scale };
    const report = m.loadStateDict(sd, { strict: false });
    expect(report.loaded).toBe(2);
    expect(report.unexpected).toEqual(['extra']);
    expect(report.missing).toHaveLength(10);
    const after = plain(await m.stateDict());
    expect(after.scale).toEqual(plain(full).scale);
    expect(after['encoder.0.weight']).toEqual(plain(full)['encoder.0.weight']);
    expect(after['encoder.0.bias']).toEqual(plain(before)['encoder.0.bias']);
    // Mis-shaped keys stay errors without strict, as in torch.
    expect(() => m.loadStateDict({ scale: { dtype: 'F32', shape: [3], data: new Float32Array(3) } }, { strict: false })).toThrow(
      StateDictError,
    );
  });
});

describe('state dicts through safetensors', () => {
  it('F16, BF16, F64 and I64 entries round-trip through encode/decode and load with their rounding', async () => {
    const src = new Nested(e, 6);
    const sd = await src.stateDict();
    const cast: StateDict = {};
    const kinds = ['F16', 'BF16', 'F64'] as const;
    Object.entries(sd).forEach(([name, entry], i) => {
      if (entry.dtype !== 'F32') return void (cast[name] = entry);
      const kind = kinds[i % 3];
      cast[name] =
        kind === 'F64'
          ? { dtype: kind, shape: entry.shape, data: Float64Array.from(entry.data) }
          : { dtype: kind, shape: entry.shape, data: Uint16Array.from(entry.data, kind === 'F16' ? floatToHalf : floatToBf16) };
    });
    expect(new Set(Object.values(cast).map((v) => v.dtype))).toEqual(new Set(['F16', 'BF16', 'F64', 'I64']));
    const bytes = encodeSafetensors(cast, { note: 'täst' });
    const { state, metadata } = decodeStateDict(bytes);
    expect(metadata.note).toBe('täst');
    expect(plain(state)).toEqual(plain(cast));
    const dst = new Nested(e, 7);
    dst.loadStateDict(state);
    const got = await dst.stateDict();
    for (const [name, entry] of Object.entries(cast)) {
      const want =
        entry.dtype === 'F16'
          ? Array.from(entry.data, halfToFloat)
          : entry.dtype === 'BF16'
            ? Array.from(entry.data, bf16ToFloat)
            : Array.from(entry.data as ArrayLike<number | bigint>, Number);
      expect(Array.from(got[name].data as ArrayLike<number | bigint>, Number), name).toEqual(want);
    }
    expect(got.step).toEqual({ dtype: 'I64', shape: [], data: BigInt64Array.from([7n]) });
  });

  it('the data section starts 8-byte aligned even with non-ASCII names', () => {
    const bytes = encodeSafetensors({ 'gewicht.ä': { dtype: 'I64', shape: [1], data: BigInt64Array.from([5n]) } });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    expect(decodeStateDict(bytes).state['gewicht.ä'].data).toEqual(BigInt64Array.from([5n]));
  });

  it('buffers registered with a half or I32 dtype are saved in that dtype', async () => {
    const m = new Module(e);
    m.registerBuffer('h', e.fromArray(Float32Array.from([1 / 3, 2]), [2]), { dtype: 'F16' });
    m.registerBuffer('k', e.fromArray(new Int32Array([-4]), [1], { dtype: 'i32' }), { dtype: 'I32' });
    const sd = await m.stateDict();
    expect(sd.h).toEqual({ dtype: 'F16', shape: [2], data: Uint16Array.from([1 / 3, 2], floatToHalf) });
    expect(sd.k).toEqual({ dtype: 'I32', shape: [1], data: Int32Array.from([-4]) });
    m.loadStateDict(decodeStateDict(encodeSafetensors(sd)).state);
  });
});

describe('a user-defined layer (the README example)', () => {
  /** y = x·a + b per feature, from broadcasting ops: no WGSL of its own. */
  class Affine extends Module {
    readonly a = this.parameter('a', Float32Array.of(1, 1), [2]);
    readonly b = this.parameter('b', new Float32Array(2), [2]);
    forward(x: Tensor<'f32'>): Tensor<'f32'> {
      return add(mul(x, this.a), this.b);
    }
  }

  it('trains with Adam to the generating a, b and saves them under its own names', async () => {
    const model = new Affine(e);
    const rand = seededRandom(9);
    const xs = Float32Array.from({ length: 64 * 2 }, () => 2 * rand() - 1);
    const x = e.fromArray(xs, [64, 2]).keep();
    const y = e
      .fromArray(
        xs.map((v, i) => (i % 2 ? -2 * v + 0.5 : 3 * v - 1)),
        [64, 2],
      )
      .keep();
    const opt = new Adam(e, model.parameters(), { lr: 0.05 });
    for (let step = 0; step < 300; step++) {
      e.scope(() => {
        const tape = e.beginTape();
        try {
          tape.backward(mse(model.forward(x), y));
        } finally {
          e.endTape();
        }
        opt.update();
      });
      e.gpu.submit();
    }
    const sd = await model.stateDict();
    expect(Object.keys(sd)).toEqual(['a', 'b']);
    // Noise-free data: Adam (lr 0.05, 300 steps) ends within its step size of the optimum.
    expect(Array.from(sd.a.data as Float32Array).map((v) => Math.round(v * 100) / 100)).toEqual([3, -2]);
    expect(Array.from(sd.b.data as Float32Array).map((v) => Math.round(v * 100) / 100)).toEqual([-1, 0.5]);
    expect(e.gpu.takeErrors()).toEqual([]);
  });
});

describe('decodeStateDict from a Node Buffer', () => {
  it('reads each tensor from its own bytes (Buffer.slice shares a pool; a view would read the pool start)', async () => {
    const { encodeSafetensors, decodeStateDict } = await import('../../src/export/safetensors');
    const bytes = encodeSafetensors({
      a: { dtype: 'F32', shape: [2], data: Float32Array.of(1.5, -2) },
      b: { dtype: 'F32', shape: [3], data: Float32Array.of(7, 8, 9) },
    });
    // Buffer.from(string) allocates from Node's shared pool, like readFileSync of a small file.
    const pooled = Buffer.from(Buffer.from(bytes).toString('latin1'), 'latin1');
    expect(pooled.byteOffset).toBeGreaterThanOrEqual(0);
    const { state } = decodeStateDict(pooled);
    expect(Array.from(state.a.data as Float32Array)).toEqual([1.5, -2]);
    expect(Array.from(state.b.data as Float32Array)).toEqual([7, 8, 9]);
  });
});
