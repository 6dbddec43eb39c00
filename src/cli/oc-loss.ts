/**
 * `physml oc-loss event.json [--fused]`: object condensation losses of one event, computed
 * by the engine's WGSL kernels on Dawn.
 * event.json: {"beta":[N], "x":[[D]...], "object_id":[N], "weights":[N]|null, "q_min":…,
 *              "noise_threshold":…, "max_n_rep"?:…, "seed"?:…}
 * Prints one JSON object: {"default": {attractive, repulsive, coward, noise},
 *   "tiger": {…, n_rep}, "grad": {"default": {"<term>": {"beta": [N], "x": [[D]…]}}}}, NaN as null.
 * "default" uses the dense N×K kernels when they fit the device (else the fused ones, or
 * always with --fused); "tiger" uses the fused kernels. "beta_clamp" lists the hits whose
 * β = 1 the kernels clamp to BETA_MAX (upstream: infinite q, NaN loss). Exit code 1 on a bad
 * file, naming the field, the index and what was expected.
 */
import { readFileSync } from 'node:fs';
import { nodeGpuContext } from '../gpu/node';
import { Engine } from '../tensor/engine';
import type { Tensor } from '../tensor/tensor';
import { denseFits } from '../losses/oc/kernels';
import { BETA_MAX } from '../losses/oc/reference';
import { parseArgs } from './args';
import { userPath } from './paths';
import { OC_TERMS, buildOcLayout, condensationLossTiger, ocLossOp, uploadOcLayout, type OcLayout } from '../losses/oc';

export interface EventFile {
  beta: number[];
  x: number[][];
  object_id: number[];
  weights?: number[] | null;
  q_min: number;
  noise_threshold?: number;
  max_n_rep?: number;
  seed?: number;
}

const F32_MAX = 3.4028234663852886e38;

const describeValue = (v: unknown) =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? `the string ${JSON.stringify(v)}` : String(v);

/** A finite number that float32 can hold; `where` names the field and index in the error. */
function f32Number(v: unknown, where: string, range?: [number, number]): number {
  if (typeof v !== 'number') throw new Error(`${where}: expected a number, got ${describeValue(v)}`);
  if (!Number.isFinite(v) || Math.abs(v) > F32_MAX) throw new Error(`${where}: ${v} does not fit in float32 (|value| ≤ ${F32_MAX})`);
  if (range && !(v >= range[0] && v <= range[1])) throw new Error(`${where}: ${v} is outside [${range[0]}, ${range[1]}]`);
  return v;
}

function intNumber(v: unknown, where: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw new Error(`${where}: expected an integer ≥ ${min}, got ${describeValue(v)}`);
  return v;
}

function numberArray(v: unknown, field: string, range?: [number, number]): number[] {
  if (!Array.isArray(v)) throw new Error(`"${field}": expected an array of numbers, got ${describeValue(v)}`);
  return v.map((x, i) => f32Number(x, `${field}[${i}]`, range));
}

/**
 * Checks every value: a null or a string would become 0 in a Float32Array, a β outside
 * [0, 1] is not a condensation probability (upstream's artanh gives NaN beyond 1), and a
 * value beyond float32 becomes ±Inf on the GPU.
 */
export function parseEvent(text: string): EventFile {
  const raw = JSON.parse(text) as Record<string, unknown>;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('expected a JSON object');
  for (const k of ['beta', 'x', 'object_id'])
    if (!Array.isArray(raw[k]))
      throw new Error(`need arrays "beta", "x" and "object_id" ("${k}" is ${raw[k] === undefined ? 'missing' : describeValue(raw[k])})`);
  const beta = numberArray(raw.beta, 'beta', [0, 1]);
  const rows = raw.x as unknown[];
  const objectId = raw.object_id as unknown[];
  const n = beta.length;
  if (rows.length !== n || objectId.length !== n)
    throw new Error(`beta, x and object_id must have the same length (${n}, ${rows.length}, ${objectId.length})`);
  const x = rows.map((r, i) => {
    if (!Array.isArray(r)) throw new Error(`x[${i}]: expected an array of coordinates, got ${describeValue(r)}`);
    return r.map((v, j) => f32Number(v, `x[${i}][${j}]`));
  });
  const d = x[0]?.length ?? 0;
  if (!d || x.some((r) => r.length !== d)) throw new Error('every row of x needs the same, nonzero, number of coordinates');
  const ids = objectId.map((v, i) => intNumber(v, `object_id[${i}]`, -(2 ** 31)));
  let weights: number[] | null = null;
  if (raw.weights !== undefined && raw.weights !== null) {
    weights = numberArray(raw.weights, 'weights');
    if (weights.length !== n) throw new Error(`weights must have ${n} entries`);
  }
  if (typeof raw.q_min !== 'number') throw new Error('need a number "q_min"');
  const ev: EventFile = { beta, x, object_id: ids, weights, q_min: f32Number(raw.q_min, 'q_min') };
  if (raw.noise_threshold !== undefined) ev.noise_threshold = f32Number(raw.noise_threshold, 'noise_threshold');
  if (raw.max_n_rep !== undefined) ev.max_n_rep = intNumber(raw.max_n_rep, 'max_n_rep', 0);
  if (raw.seed !== undefined) ev.seed = intNumber(raw.seed, 'seed', 0);
  return ev;
}

/** Hits whose β the kernels clamp to BETA_MAX before artanh (β = 1 exactly in f32). */
export function clampedBeta(beta: number[]): number[] {
  const out: number[] = [];
  beta.forEach((b, i) => {
    if (Math.fround(b) > BETA_MAX) out.push(i);
  });
  return out;
}

const num = (v: number) => (Number.isNaN(v) ? null : v);

export async function ocLossCommand(args: string[]): Promise<number> {
  const { positional, options } = parseArgs(args, { fused: 'bool' });
  if (positional.length !== 1) {
    console.error('usage: physml oc-loss <event.json> [--fused]');
    return 2;
  }
  const file = userPath(positional[0]);
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
  const impl = options.fused || !denseFits(e.gpu, layout) ? 'fused' : 'dense';
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
        const seed = e.fromArray(
          Float32Array.from([0, 1, 2, 3], (i) => (i === t ? 1 : 0)),
          [4],
        ) as Tensor<'f32'>;
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
  const clamped = clampedBeta(ev.beta);
  if (clamped.length)
    console.error(`oc-loss: β = 1 at ${clamped.length} hit(s) clamped to ${BETA_MAX} before artanh (upstream: infinite q, NaN loss)`);
  const betaClamp = { beta_max: BETA_MAX, hits: clamped };
  // No process.exit: a pipe takes 64 KiB at once, the rest drains after we return.
  process.stdout.write(
    `${JSON.stringify({ default: named(values!), tiger: { ...named(tv), n_rep: nRep[0] }, grad: { default: grads }, beta_clamp: betaClamp })}\n`,
  );
  return 0;
}
