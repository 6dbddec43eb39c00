import { seededRandom, normalSampler } from '../../nn/init';
import type { SpanetTables } from './tables';

export interface TtbarOptions {
  events: number;
  /** jet slots per event (MASK width); events have 6..maxJets jets */
  maxJets: number;
  seed: number;
  /** fraction of events where one top's quark jet is lost (its targets become -1) */
  missingFraction?: number;
}

/** SPANet's fully hadronic tt̄ event file for the synthetic data (products b, q1, q2). */
export const TTBAR_EVENT_YAML = `INPUTS:
  SEQUENTIAL:
    Source:
      mass: log_normalize
      pt: log_normalize
      eta: normalize
      phi: normalize
      btag: none
  GLOBAL:

EVENT:
  t1:
    - b
    - q1
    - q2
  t2:
    - b
    - q1
    - q2

PERMUTATIONS:
  EVENT:
    - [ t1, t2 ]
  t1:
    - [ q1, q2 ]
  t2:
    - [ q1, q2 ]

REGRESSIONS:

CLASSIFICATIONS:
`;

const wrap = (phi: number) => Math.atan2(Math.sin(phi), Math.cos(phi));

/**
 * Synthetic all-hadronic tt̄-like events in SPANet's fully hadronic layout
 * (INPUTS/Source/{MASK, mass, pt, eta, phi, btag}, TARGETS/{t1,t2}/{b,q1,q2}).
 * Planted signal: each top's three jets are collimated around the top's direction in
 * (η, φ) (the two tops back to back), and b jets are b-tagged 80% of the time (light
 * jets 8%). Extra radiation jets are uniform in η, φ and softer. Jets are sorted by pT,
 * as in real files, so the target positions carry no information by themselves.
 */
export function syntheticTtbar(opts: TtbarOptions): SpanetTables {
  const { events: n, maxJets: L, seed } = opts;
  if (L < 6) throw new Error('tt̄ events need at least 6 jet slots');
  const rand = seededRandom(seed);
  const normal = normalSampler(rand);
  const feats = ['mass', 'pt', 'eta', 'phi', 'btag'] as const;
  const f: Record<string, Float32Array> = Object.fromEntries(feats.map((k) => [k, new Float32Array(n * L)]));
  const mask = new Uint8Array(n * L);
  const products = ['b', 'q1', 'q2'];
  const targets: Record<string, Record<string, Int32Array>> = {
    t1: Object.fromEntries(products.map((p) => [p, new Int32Array(n).fill(-1)])),
    t2: Object.fromEntries(products.map((p) => [p, new Int32Array(n).fill(-1)])),
  };
  const missing = opts.missingFraction ?? 0.1;
  for (let e = 0; e < n; e++) {
    const nJets = 6 + Math.floor(rand() * (L - 5));
    type Jet = { pt: number; eta: number; phi: number; mass: number; btag: number; owner: string };
    const jets: Jet[] = [];
    const eta0 = 1.2 * normal();
    const phi0 = Math.PI * (2 * rand() - 1);
    const tops = [
      { eta: eta0, phi: phi0 },
      { eta: -eta0 + 0.5 * normal(), phi: wrap(phi0 + Math.PI + 0.3 * normal()) },
    ];
    const dropTop = rand() < missing ? Math.floor(rand() * 2) : -1;
    tops.forEach((t, ti) => {
      for (const p of products) {
        if (ti === dropTop && p === 'q2') continue; // lost jet: out of acceptance
        const isB = p === 'b';
        jets.push({
          pt: (isB ? 60 : 40) * Math.exp(0.35 * normal()),
          eta: t.eta + 0.35 * normal(),
          phi: wrap(t.phi + 0.35 * normal()),
          mass: (isB ? 10 : 7) * Math.exp(0.3 * normal()),
          btag: rand() < (isB ? 0.8 : 0.08) ? 1 : 0,
          owner: `t${ti + 1}/${p}`,
        });
      }
    });
    while (jets.length < nJets) {
      jets.push({
        pt: 25 * Math.exp(0.4 * Math.abs(normal())),
        eta: 2.4 * (2 * rand() - 1),
        phi: Math.PI * (2 * rand() - 1),
        mass: 6 * Math.exp(0.3 * normal()),
        btag: rand() < 0.08 ? 1 : 0,
        owner: '',
      });
    }
    jets.sort((a, b) => b.pt - a.pt);
    jets.slice(0, L).forEach((j, slot) => {
      const o = e * L + slot;
      mask[o] = 1;
      f.mass[o] = j.mass;
      f.pt[o] = j.pt;
      f.eta[o] = j.eta;
      f.phi[o] = j.phi;
      f.btag[o] = j.btag;
      if (j.owner) {
        const [t, p] = j.owner.split('/');
        targets[t][p][e] = slot;
      }
    });
  }
  return {
    nEvents: n,
    sources: [{ name: 'Source', kind: 'sequential', maxLength: L, features: f, mask }],
    targets,
    regressions: {},
    classifications: {},
  };
}
