/**
 * The evaluation report of a SPANet run on a set of events, as `spanet.test` makes it: the
 * network's predictions (SpanetRun.predict), SPANet's greedy non-overlapping assignment, the
 * detection probabilities, then spanetTestReport. Used by `physml evaluate`; the events are
 * the run's held-out ones or every event of another file with the same event description.
 */
import type { Engine } from '../../tensor/engine';
import { buildBatch, disposeBatch, uploadBatch } from './batch';
import { prepareData, type PreparedData } from './prepare';
import { greedyAssignment } from './reconstruct';
import { reportTargets } from './reportInputs';
import type { SpanetTables } from './tables';
import type { SpanetRun } from './task';
import { spanetTestReport, type TestReport } from './testReport';

/** What the report needs of a run (SpanetRun's public interface). */
export type EvaluableRun = Pick<SpanetRun, 'spec' | 'data' | 'config' | 'v2' | 'predict'>;

export interface EvaluateOptions {
  /** default: the run's own data */
  data?: PreparedData;
  /** default: the held-out events [trainEvents, endEvent) of `data` */
  events?: number[];
  lines?: number;
  onProgress?: (done: number, total: number) => void;
}

export async function evaluateSpanetEvents(engine: Engine, run: EvaluableRun, opts: EvaluateOptions = {}): Promise<TestReport> {
  const d = opts.data ?? run.data;
  const spec = run.spec;
  const events = opts.events ?? Array.from({ length: d.endEvent - d.trainEvents }, (_, i) => d.trainEvents + i);
  if (!events.length) throw new Error('no events to evaluate');
  const P = spec.particles.length;
  const ks = spec.particles.map((p) => p.products.length);
  const B = run.config.batchSize;
  const network = run.v2 !== null;
  const predictions: number[][] = ks.map(() => []);
  const detection: number[][] = ks.map(() => []);
  const done: number[] = [];
  for (let s = 0; s < events.length; s += B) {
    const chunk = events.slice(s, s + B);
    // as the run's own test batches: spanet-v2 batches hold only real events, the simple model's are padded
    const gpu = uploadBatch(engine, buildBatch(d, spec, chunk, network ? chunk.length : B), d, spec, { network });
    try {
      const pred = await run.predict(gpu);
      gpu.host.events.forEach((ev, slot) => {
        if (ev < 0) return;
        const probs = pred.logProbs.map((lp, p) => {
          const S = d.N ** ks[p];
          return lp.subarray(slot * S, slot * S + S).map(Math.exp);
        });
        const reco = greedyAssignment(probs, ks, d.N);
        for (let p = 0; p < P; p++) {
          // no free jets left: -2, which no target equals
          for (let a = 0; a < ks[p]; a++) predictions[p].push(reco[p]?.[a] ?? -2);
          detection[p].push(pred.detection[slot * P + p]);
        }
        done.push(ev);
      });
    } finally {
      disposeBatch(gpu);
    }
    opts.onProgress?.(Math.min(s + B, events.length), events.length);
  }
  return spanetTestReport({ spec, ...reportTargets(d, spec, done), predictions, detection, lines: opts.lines });
}

/** Sequential inputs padded to `N` slots (a file with fewer jet slots than the model's data). */
export function padTables(t: SpanetTables, N: number): SpanetTables {
  return {
    ...t,
    sources: t.sources.map((s) => {
      if (s.kind !== 'sequential' || s.maxLength === N) return s;
      if (s.maxLength > N) throw new Error(`input ${s.name} has ${s.maxLength} slots, more than the ${N} of the model's data`);
      const L = s.maxLength;
      const pad = <T extends Float32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
        const out = make(t.nEvents * N);
        for (let e = 0; e < t.nEvents; e++) out.set(a.subarray(e * L, (e + 1) * L), e * N);
        return out;
      };
      return {
        ...s,
        maxLength: N,
        features: Object.fromEntries(Object.entries(s.features).map(([k, v]) => [k, pad(v, (n) => new Float32Array(n))])),
        mask: s.mask && pad(s.mask, (n) => new Uint8Array(n)),
      };
    }),
  };
}

/**
 * Another file's events for a run: its event description, the run's jet slots, and the run's
 * normalisation (the simple model normalises on upload; spanet-v2 carries it in its weights).
 */
export function evaluationData(run: EvaluableRun, tables: SpanetTables): PreparedData {
  const own = prepareData(padTables(tables, run.data.N), run.spec, 0);
  return { ...own, jetNorm: run.data.jetNorm, globalNorm: run.data.globalNorm, regNorm: run.data.regNorm };
}
