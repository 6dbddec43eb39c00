import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readEventFile } from '../../src/tasks/spanet/eventFile';
import type { EventSpec } from '../../src/tasks/spanet/eventSpec';
import { prepareData, type PreparedData } from '../../src/tasks/spanet/prepare';
import type { SpanetTables } from '../../src/tasks/spanet/tables';

/** tests/fixtures/torch/spanet/balance/loss.json (make_spanet_balance_fixtures.py loss_cases). */
export function balanceLossFixture(): any {
  return JSON.parse(readFileSync(resolve(__dirname, '../fixtures/torch/spanet/balance/loss.json'), 'utf8'));
}

/** The fixture's event set (jet counts, targets, classes) as prepared data, all of it training events. */
export function syntheticData(fx: any): { spec: EventSpec; d: PreparedData } {
  const spec = readEventFile(fx.event_yaml);
  const E: number = fx.E,
    N: number = fx.N;
  const mask = new Uint8Array(E * N);
  fx.events.num_jets.forEach((n: number, e: number) => mask.fill(1, e * N, e * N + n));
  const pt = Float32Array.from(mask, (m, i) => (m ? 20 + (i % 7) : 0));
  const targets: SpanetTables['targets'] = {};
  for (const p of spec.particles)
    targets[p.name] = Object.fromEntries(
      p.products.map((q, a) => [q, Int32Array.from(fx.events.targets[p.name], (row: number[]) => row[a])]),
    );
  const tables: SpanetTables = {
    nEvents: E,
    sources: [{ name: 'Source', kind: 'sequential', maxLength: N, features: { pt, eta: pt.map((v) => v / 50) }, mask }],
    targets,
    targetWeights: Object.fromEntries(Object.entries<number[]>(fx.events.weights).map(([p, w]) => [p, Float32Array.from(w)])),
    regressions: {},
    classifications: { 'EVENT/signal': Int32Array.from(fx.events.signal) },
  };
  // testFraction 0 is clamped to one held-out event; the fixture counts all E as training
  const d = prepareData(tables, spec, 0);
  return { spec, d: { ...d, trainEvents: E } };
}
