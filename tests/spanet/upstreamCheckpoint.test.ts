/**
 * An upstream SPANet checkpoint trained with balance on (fixture ckpt/ttH_balance from upstream's
 * own JetReconstructionModel, tools/torch_fixtures/make_spanet_ckpt_fixtures.py) loads strictly
 * into a spanet-v2 run built from the same options and event file, gives upstream's outputs and
 * training_step loss, and its balance tensors become the run's weights; the run's state dict has
 * exactly the checkpoint's keys (torch's order), dtypes and shapes, and round-trips.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNodeH5 } from '../../src/data/h5/node';
import { readSpanetEvents } from '../../src/data/spanet/reader';
import { decodeStateDict, encodeSafetensors } from '../../src/export/safetensors';
import type { StateDict, StateEntry } from '../../src/nn/stateDict';
import { buildBatch, disposeBatch, uploadBatch } from '../../src/tasks/spanet/batch';
import { spanetTask, SPANET_DEFAULTS, type SpanetRun } from '../../src/tasks/spanet/task';
import type { Engine } from '../../src/tensor/engine';
import { testEngine } from '../helpers/engine';
import { hasTtH, TTH_FILE } from './fixtures';

const dir = new URL('../fixtures/torch/spanet/ckpt/', import.meta.url);
const upstream = new URL('../fixtures/spanet-upstream/', import.meta.url);
// A plain Uint8Array: a Node Buffer's slice shares its pool, which the decoder's views would read past.
const ckpt = decodeStateDict(new Uint8Array(readFileSync(new URL('ttH_balance.state.safetensors', dir))), 'ttH_balance.state');
const io = decodeStateDict(new Uint8Array(readFileSync(new URL('ttH_balance.io.safetensors', dir))), 'ttH_balance.io').state;
const keys: string[] = JSON.parse(ckpt.metadata.state_keys);
const BALANCE = ['particle_index_tensor', 'particle_weights_tensor', 'jet_weights_tensor', 'classification_weights.EVENT/signal'];
const LOSS_EVENTS = Number(ckpt.metadata.loss_events);

const values = (x: StateEntry) => Array.from(x.data as ArrayLike<number | bigint>, Number);

let e: Engine;
let run: SpanetRun;

beforeAll(async () => {
  if (!hasTtH) return;
  e = await testEngine();
  const src = await openNodeH5(TTH_FILE);
  let events;
  try {
    events = readSpanetEvents(src);
  } finally {
    src.close?.();
  }
  const config = {
    ...SPANET_DEFAULTS,
    evalEvents: 4,
    optionsJson: readFileSync(new URL('options_files/semi_leptonic_ttH/example.json', upstream), 'utf8'),
    eventYaml: readFileSync(new URL('event_files/semi_leptonic_ttH.yaml', upstream), 'utf8'),
    // the fixture's options; batch_size only sets how the training events are uploaded
    optionsOverrides: JSON.stringify({ ...JSON.parse(ckpt.metadata.options), batch_size: 190 }),
  };
  run = (await spanetTask.create(e, config, { events } as never)) as SpanetRun;
}, 120_000);

afterAll(() => run?.dispose());

/** Upstream's training_step loss on the first LOSS_EVENTS training events, with the run's current weights and balance. */
async function loss(): Promise<number> {
  const b = uploadBatch(
    e,
    buildBatch(
      run.data,
      run.spec,
      Array.from({ length: LOSS_EVENTS }, (_, i) => i),
      LOSS_EVENTS,
    ),
    run.data,
    run.spec,
    { network: true },
  );
  try {
    const scales = { assignment: 1, detection: 1, regression: 1, classification: 1, mode: 'upstream' as const };
    const l = e.scope(() => run.v2!.loss(run.v2!.forward(b), b, scales).loss);
    try {
      return (await l.read())[0];
    } finally {
      l.dispose();
    }
  } finally {
    disposeBatch(b);
  }
}

describe.skipIf(!hasTtH)("upstream's JetReconstructionModel checkpoint with balance on (ttH example options)", () => {
  it("the run's state dict has the checkpoint's keys in torch's order, dtypes and shapes, and our balance weights", async () => {
    const sd = await run.stateDict();
    expect(Object.keys(sd)).toEqual(keys);
    for (const k of keys) expect([k, sd[k].dtype, sd[k].shape], k).toEqual([k, ckpt.state[k].dtype, ckpt.state[k].shape]);
    expect(keys.slice(0, 5)).toEqual([...BALANCE.slice(0, 3), 'event_permutation_tensor', BALANCE[3]]);
    expect(values(sd.particle_index_tensor)).toEqual([1, 2, 4]);
    // the weights our run computed from its training events: upstream computes the particle
    // weights in float64 (then float32 as ours), the others in float32 (balanceWeights.test.ts)
    const rel = (k: string, tol: number) => {
      const got = values(sd[k]),
        want = values(ckpt.state[k]);
      got.forEach((g, i) => expect(Math.abs(g - want[i]), `${k}[${i}]`).toBeLessThanOrEqual(tol * Math.max(1e-3, Math.abs(want[i]))));
    };
    rel('particle_weights_tensor', 1e-6);
    rel('jet_weights_tensor', 5e-5);
    rel('classification_weights.EVENT/signal', 5e-5);
  });

  it("loads strictly, gives upstream's outputs and training_step loss; its balance tensors are the run's weights", async () => {
    const report = run.model.loadStateDict(ckpt.state, { strict: true });
    expect(report.loaded).toBe(keys.length);
    const w = run.v2!.balanceWeights!;
    expect(Array.from(w.particles)).toEqual(values(ckpt.state.particle_weights_tensor));
    expect(Array.from(w.vectors)).toEqual(values(ckpt.state.jet_weights_tensor));
    expect(Array.from(w.classes[0])).toEqual(values(ckpt.state['classification_weights.EVENT/signal']));

    const net = run.v2!.network;
    net.eval();
    const f32 = (k: string) => io[k].data as Float32Array;
    const outs = e.scope(() => {
      const sources = [0, 1].map((i) => ({
        data: e.fromArray(f32(`source.${i}.data`), io[`source.${i}.data`].shape),
        mask: io[`source.${i}.mask`].data as Int32Array,
      }));
      const out = net.forward(sources);
      return [
        ...run.spec.particles.flatMap((p, i) => [
          [`assignment.${p.name}`, out.assignments[i]] as const,
          [`detection.${p.name}`, out.detections[i]] as const,
        ]),
        ...Object.entries(out.regressions).map(([k, t]) => [`regression.${k}`, t] as const),
        ...Object.entries(out.classifications).map(([k, t]) => [`classification.${k}`, t] as const),
      ];
    });
    const got = await Promise.all(outs.map(async ([k, t]) => [k, (await t.read()) as Float32Array] as const));
    outs.forEach(([, t]) => t.dispose());
    // f32 tolerance as upstreamNetwork.test.ts (torch and our kernels round differently; a
    // wrong weight or layer moves outputs by ≥ 1e-3); −inf (invalid tuples) must match exactly
    expect(got.map(([k]) => k).sort()).toEqual(
      Object.keys(io)
        .filter((k) => !/^source\.|^loss$/.test(k))
        .sort(),
    );
    for (const [k, g] of got) {
      const want = f32(k);
      expect(g.length, k).toBe(want.length);
      let worst = 0;
      for (let i = 0; i < want.length; i++) {
        if (!Number.isFinite(want[i])) expect(g[i], `${k}[${i}]`).toBe(want[i]);
        else worst = Math.max(worst, Math.abs(g[i] - want[i]) / (1 + Math.abs(want[i])));
      }
      expect(worst, `${k}: worst scaled error`).toBeLessThan(2e-5);
    }

    // upstream's training_step with the checkpoint's balance tensors: f32 outputs through the loss, 1e-5 relative
    const want = f32('loss')[0];
    const l = await loss();
    expect(Math.abs(l - want)).toBeLessThanOrEqual(1e-5 * Math.max(1, want));

    // the loss reads the loaded tensors: a checkpoint with other particle weights gives another loss
    const other: StateDict = {
      ...ckpt.state,
      particle_weights_tensor: {
        dtype: 'F32',
        shape: ckpt.state.particle_weights_tensor.shape,
        data: Float32Array.from(values(ckpt.state.particle_weights_tensor), (x, i) => x * (1 + i)),
      },
    };
    run.model.loadStateDict(other, { strict: true });
    expect(Array.from(run.v2!.balanceWeights!.particles)).toEqual(values(other.particle_weights_tensor));
    expect(Math.abs((await loss()) - want)).toBeGreaterThan(1e-3);
    run.model.loadStateDict(ckpt.state, { strict: true });
    expect(Math.abs((await loss()) - want)).toBeLessThanOrEqual(1e-5 * Math.max(1, want));
  }, 60_000);

  it('round-trips: our safetensors file has the same entries, values and order, and loads back strictly', async () => {
    const bytes = encodeSafetensors(await run.stateDict(), { state_keys: JSON.stringify(keys) });
    const back = decodeStateDict(bytes, 'ours').state;
    expect(Object.keys(back).sort()).toEqual([...keys].sort());
    for (const k of keys) {
      expect([back[k].dtype, back[k].shape], k).toEqual([ckpt.state[k].dtype, ckpt.state[k].shape]);
      expect(values(back[k]), k).toEqual(values(ckpt.state[k]));
    }
    expect(run.model.loadStateDict(back, { strict: true }).loaded).toBe(keys.length);
  });

  it("a checkpoint without the balance tensors is a strict mismatch naming them (as torch's strict load); non-strict keeps ours", async () => {
    const without = Object.fromEntries(Object.entries(ckpt.state).filter(([k]) => !BALANCE.includes(k)));
    const before = await run.stateDict();
    expect(() => run.model.loadStateDict(without, { strict: true })).toThrow(
      /missing keys: particle_index_tensor, particle_weights_tensor, jet_weights_tensor, classification_weights\.EVENT\/signal/,
    );
    const r = run.model.loadStateDict(without, { strict: false });
    expect(r.missing).toEqual(BALANCE);
    const after = await run.stateDict();
    for (const k of BALANCE) expect(values(after[k]), k).toEqual(values(before[k]));
    // a particle index other than 2^p is refused before anything is written
    const bad = { ...ckpt.state, particle_index_tensor: { dtype: 'I64' as const, shape: [3], data: BigInt64Array.of(1n, 4n, 2n) } };
    expect(() => run.model.loadStateDict(bad, { strict: true })).toThrow(/particle_index_tensor\[1\] is 4/);
  });
});
