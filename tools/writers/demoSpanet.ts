import type { SpanetSpec } from './spanetEncode';
import { makeRng } from './rng';

/**
 * Synthetic all-hadronic tt̄ events in SPANet v2 layout: up to `maxJets` jets
 * (mass, pt, eta, sin_phi, cos_phi, btag) with MASK, a global MET source,
 * targets t1/{b,q1,q2} and t2/{b,q1,q2}, one regression and one classification.
 */
export function demoSpanetSpec(opts: { events?: number; maxJets?: number; seed?: number } = {}): SpanetSpec {
  const n = opts.events ?? 500;
  const L = opts.maxJets ?? 10;
  const rng = makeRng(opts.seed ?? 777);
  const mask = new Uint8Array(n * L);
  const feats = ['mass', 'pt', 'eta', 'sin_phi', 'cos_phi', 'btag'];
  const f: Record<string, Float32Array> = Object.fromEntries(feats.map((k) => [k, new Float32Array(n * L)]));
  const met = new Float32Array(n);
  const sumet = new Float32Array(n);
  const tgt: Record<string, Int32Array> = Object.fromEntries(
    ['t1/b', 't1/q1', 't1/q2', 't2/b', 't2/q1', 't2/q2'].map((k) => [k, new Int32Array(n).fill(-1)]),
  );
  const logMass = new Float32Array(n);
  const signal = new Float64Array(n);
  for (let e = 0; e < n; e++) {
    const nJets = rng.int(6, L);
    const order = Array.from({ length: nJets }, (_, i) => i).sort(() => rng.next() - 0.5);
    const isSignal = rng.next() < 0.5;
    signal[e] = isSignal ? 1 : 0;
    let ht = 0;
    for (let j = 0; j < nJets; j++) {
      mask[e * L + j] = 1;
      const pt = 25 + 150 * Math.exp(-j / 3) * (0.6 + 0.8 * rng.next());
      const phi = 2 * Math.PI * rng.next() - Math.PI;
      f['pt']![e * L + j] = pt;
      f['mass']![e * L + j] = 2 + 20 * rng.next();
      f['eta']![e * L + j] = 2.4 * (2 * rng.next() - 1);
      f['sin_phi']![e * L + j] = Math.sin(phi);
      f['cos_phi']![e * L + j] = Math.cos(phi);
      ht += pt;
    }
    if (isSignal) {
      // six matched jets at random positions; the b jets are b-tagged
      const [b1, q11, q12, b2, q21, q22] = order as [number, number, number, number, number, number];
      tgt['t1/b']![e] = b1;
      tgt['t1/q1']![e] = q11;
      tgt['t1/q2']![e] = q12;
      tgt['t2/b']![e] = b2;
      tgt['t2/q1']![e] = q21;
      tgt['t2/q2']![e] = q22;
      f['btag']![e * L + b1] = 1;
      f['btag']![e * L + b2] = 1;
    } else {
      for (let j = 0; j < nJets; j++) if (rng.next() < 0.15) f['btag']![e * L + j] = 1;
    }
    met[e] = Math.abs(20 * rng.normal());
    sumet[e] = ht + met[e]!;
    logMass[e] = Math.log(ht * 1.8 + 50 * rng.next());
  }
  const targets: SpanetSpec['targets'] = { t1: {}, t2: {} };
  for (const [k, v] of Object.entries(tgt)) {
    const [p, prod] = k.split('/') as [string, string];
    targets[p]![prod] = v;
  }
  return {
    nEvents: n,
    sources: [
      { name: 'Momenta', features: f, mask, maxLength: L },
      { name: 'Met', features: { met, sumet } },
    ],
    targets,
    regressions: { 'EVENT/log_invariant_mass': logMass },
    classifications: { 'EVENT/signal': signal },
  };
}
