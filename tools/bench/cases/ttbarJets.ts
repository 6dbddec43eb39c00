/**
 * Synthetic fully hadronic tt̄ jets for the SPANet v2 encoder case, in the features of upstream's
 * full_hadronic_ttbar event file after the data loader's transforms (mass, pt log-transformed;
 * eta, phi; btag 0/1). Every event has 6..T jets (six quarks), padding rows zero.
 */
import { seededRandom } from '../../../src/nn/init';

export interface TtbarJets {
  /** [B, T, features] */
  data: Float32Array;
  /** [B, T]: 1 for a real jet */
  mask: Uint8Array;
  features: number;
}

export function syntheticTtbarJets(B: number, T: number, seed: number): TtbarJets {
  if (T < 6) throw new Error(`tt̄ jets: ${T} slots cannot hold six jets`);
  const rand = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const F = 5;
  const data = new Float32Array(B * T * F);
  const mask = new Uint8Array(B * T);
  for (let b = 0; b < B; b++) {
    const n = 6 + Math.floor(rand() * (T - 5));
    for (let t = 0; t < n; t++) {
      const r = (b * T + t) * F;
      data[r] = Math.log1p(Math.exp(2.5 + 0.5 * normal())); // log mass [GeV]
      data[r + 1] = Math.log1p(Math.exp(4 + 0.6 * normal())); // log pt [GeV]
      data[r + 2] = 5 * rand() - 2.5;
      data[r + 3] = 2 * Math.PI * rand() - Math.PI;
      data[r + 4] = rand() < 0.3 ? 1 : 0;
      mask[b * T + t] = 1;
    }
  }
  return { data, mask, features: F };
}
