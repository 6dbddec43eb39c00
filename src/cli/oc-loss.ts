/**
 * Object condensation losses of one event, computed by the engine's WGSL kernels on Dawn.
 *   npx tsx --import ./scripts/raw-loader.mjs src/cli/oc-loss.ts event.json [--fused]
 * event.json: {"beta":[N], "x":[[D]...], "object_id":[N], "weights":[N]|null, "q_min":…,
 *              "noise_threshold":…, "max_n_rep"?:…, "seed"?:…}
 * Prints one JSON object: {"default": {attractive, repulsive, coward, noise},
 *   "tiger": {…, n_rep}, "grad": {"default": {"<term>": {"beta": [N], "x": [[D]…]}}}}, NaN as null.
 * "default" uses the dense N×K kernels when they fit the device (else the fused ones, or
 * always with --fused); "tiger" uses the fused kernels. Exit code 1 on a bad file.
 */
import { readFileSync } from 'node:fs';
import { nodeGpuContext } from '../gpu/node';
import { Engine } from '../tensor/engine';
import type { Tensor } from '../tensor/tensor';
import { denseFits } from '../losses/oc/kernels';
import { OC_TERMS, buildOcLayout, condensationLossTiger, ocLossOp, uploadOcLayout, type OcLayout } from '../losses/oc';

interface EventFile {
  beta: number[];
  x: number[][];
  object_id: number[];
  weights?: number[] | null;
  q_min: number;
  noise_threshold?: number;
  max_n_rep?: number;
  seed?: number;
}

function parseEvent(text: string): EventFile {
  const ev = JSON.parse(text) as EventFile;
  const n = ev.beta?.length;
  if (!Array.isArray(ev.beta) || !Array.isArray(ev.x) || !Array.isArray(ev.object_id)) throw new Error('need arrays "beta", "x" and "object_id"');
  if (ev.x.length !== n || ev.object_id.length !== n) throw new Error(`beta, x and object_id must have the same length (${n}, ${ev.x.length}, ${ev.object_id.length})`);
  const d = ev.x[0]?.length ?? 0;
  if (!d || ev.x.some((r) => r.length !== d)) throw new Error('every row of x needs the same, nonzero, number of coordinates');
  if (ev.weights && ev.weights.length !== n) throw new Error(`weights must have ${n} entries`);
  if (typeof ev.q_min !== 'number') throw new Error('need a number "q_min"');
  return ev;
}

const num = (v: number) => (Number.isNaN(v) ? null : v);

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--'));
  if (!file) {
    console.error('usage: oc-loss <event.json> [--fused]');
    return 2;
  }
  let ev: EventFile;
  try {
    ev = parseEvent(readFileSync(file, 'utf8'));
  } catch (err) {
    console.error(`oc-loss: ${file}: ${(err as Error).message}`);
    return 1;
  }
  const n = ev.beta.length;
  const d = ev.x[0].length;
  const e = new Engine(await nodeGpuContext());
  let layout: OcLayout;
  try {
    layout = uploadOcLayout(e, buildOcLayout(ev.object_id, { noiseThreshold: ev.noise_threshold ?? 0 }));
  } catch (err) {
    console.error(`oc-loss: ${(err as Error).message}`);
    return 1;
  }
  const impl = args.includes('--fused') || !denseFits(e.gpu, layout) ? 'fused' : 'dense';
  const betaData = Float32Array.from(ev.beta);
  const xData = Float32Array.from(ev.x.flat());
  const wData = ev.weights ? Float32Array.from(ev.weights) : null;
  const attrs = { layout, qMin: ev.q_min, impl, hasWeights: !!wData } as const;

  // The default loss and the gradient of each term (one backward per one-hot seed).
  const grads: Record<string, { beta: number[]; x: number[][] }> = {};
  let values: Float32Array | null = null;
  for (let t = 0; t < 4; t++) {
    const tape = e.beginTape();
    try {
      const r = e.scope(() => {
        const beta = e.fromArray(betaData, [n], { requiresGrad: true });
        const x = e.fromArray(xData, [n, d], { requiresGrad: true });
        const inputs = wData ? [beta, x, e.fromArray(wData, [n])] : [beta, x];
        const out = e.apply(ocLossOp, inputs, attrs);
        const seed = e.fromArray(Float32Array.from([0, 1, 2, 3], (i) => (i === t ? 1 : 0)), [4]) as Tensor<'f32'>;
        const g = tape.backward(out, seed);
        return { out, gb: g.get(beta)!, gx: g.get(x)! };
      });
      const [v, gb, gx] = await Promise.all([r.out.read(), r.gb.read(), r.gx.read()]);
      values ??= v as Float32Array;
      grads[OC_TERMS[t]] = { beta: Array.from(gb), x: Array.from({ length: n }, (_, j) => Array.from(gx.subarray(j * d, j * d + d))) };
      for (const x of [r.out, r.gb, r.gx]) x.dispose();
    } finally {
      e.endTape();
    }
  }

  const tiger = e.scope(() => {
    const beta = e.fromArray(betaData, [n]);
    const x = e.fromArray(xData, [n, d]);
    const weights = wData ? e.fromArray(wData, [n]) : null;
    const r = condensationLossTiger({ beta, x, weights, objectId: layout, qMin: ev.q_min, maxNRep: ev.max_n_rep ?? 0, seed: ev.seed ?? 0 });
    return { terms: r.terms, nRep: r.nRep };
  });
  const [tv, nRep] = await Promise.all([tiger.terms.read(), tiger.nRep.read()]);
  const errors = e.gpu.takeErrors();
  if (errors.length) {
    console.error(`oc-loss: GPU errors:\n${errors.join('\n')}`);
    return 1;
  }
  const named = (v: Float32Array) => Object.fromEntries(OC_TERMS.map((t, i) => [t, num(v[i])]));
  process.stdout.write(`${JSON.stringify({ default: named(values!), tiger: { ...named(tv), n_rep: nRep[0] }, grad: { default: grads } })}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`oc-loss: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    process.exit(1);
  },
);
