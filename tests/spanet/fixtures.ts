import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { seededRandom } from '../../src/nn/init';
import type { SpanetTables } from '../../src/tasks/spanet/tables';

/** SPANet's semi-leptonic ttH example file (CI: ../shared/data relative to the repository). */
export const TTH_FILE = resolve(__dirname, '../../../shared/data/spanet_semi_leptonic_ttH_example.h5');
export const hasTtH = existsSync(TTH_FILE);

/**
 * A small random event set in the ttH file's layout (Momenta + Met, lt/{b,l}, ht/{b,q1,q2},
 * h/{b1,b2}, a regression and a classification), for tests that must not depend on the file.
 */
export function syntheticTtH(events: number, L: number): SpanetTables {
  const r = seededRandom(5);
  const feats = ['mass', 'pt', 'eta', 'btag'];
  const f: Record<string, Float32Array> = Object.fromEntries(feats.map((k) => [k, new Float32Array(events * L)]));
  const mask = new Uint8Array(events * L);
  const tg = (names: string[]) => Object.fromEntries(names.map((n) => [n, new Int32Array(events).fill(-1)]));
  const targets = { lt: tg(['b', 'l']), ht: tg(['b', 'q1', 'q2']), h: tg(['b1', 'b2']) };
  const met = new Float32Array(events),
    phi = new Float32Array(events),
    mass = new Float32Array(events);
  const signal = new Int32Array(events);
  for (let e = 0; e < events; e++) {
    const n = 7 + Math.floor(r() * (L - 6));
    for (let j = 0; j < n; j++) {
      mask[e * L + j] = 1;
      f.mass[e * L + j] = 5 + 10 * r();
      f.pt[e * L + j] = 30 + 100 * r();
      f.eta[e * L + j] = 2 * r() - 1;
      f.btag[e * L + j] = r() < 0.3 ? 1 : 0;
    }
    const order = [...Array(n).keys()].sort(() => r() - 0.5);
    const slots: [Record<string, Int32Array>, string][] = [
      [targets.lt, 'b'],
      [targets.lt, 'l'],
      [targets.ht, 'b'],
      [targets.ht, 'q1'],
      [targets.ht, 'q2'],
      [targets.h, 'b1'],
      [targets.h, 'b2'],
    ];
    slots.forEach(([t, p], i) => {
      if (r() > 0.1) t[p][e] = order[i];
    });
    met[e] = 20 + 80 * r();
    phi[e] = 2 * r() - 1;
    mass[e] = 6 + r();
    signal[e] = r() < 0.5 ? 1 : 0;
  }
  return {
    nEvents: events,
    sources: [
      { name: 'Momenta', kind: 'sequential', maxLength: L, features: f, mask },
      { name: 'Met', kind: 'global', maxLength: 1, features: { met, sin_phi: phi } },
    ],
    targets,
    regressions: { 'EVENT/log_invariant_mass': mass },
    classifications: { 'EVENT/signal': signal },
  };
}
