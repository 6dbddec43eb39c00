/**
 * A SPANet network's predictions on one uploaded batch, read back to the host (no tape):
 * log-probabilities per particle, detection probabilities, regressions in the targets' units,
 * class probabilities and the batch's loss terms. Shared by the in-memory run (SpanetRun) and
 * the streamed one (SpanetStreamRun).
 */
import type { SpanetModel } from '../../nn/spanet';
import type { Engine } from '../../tensor/engine';
import type { GpuBatch } from './batch';
import type { EventSpec } from './eventSpec';
import { spanetLoss, type LossScales } from './loss';
import type { PreparedData } from './prepare';
import type { SpanetPrediction } from './task';
import type { SpanetV2Model, V2Outputs } from './upstreamModel';

export interface SpanetPredictor {
  engine: Engine;
  spec: EventSpec;
  /** one of the two models */
  v2: SpanetV2Model | null;
  simple: SpanetModel | null;
  scales: LossScales;
  /** jet slots, the simple model's regression normalisation and the class counts */
  norms: Pick<PreparedData, 'N' | 'regNorm' | 'classCounts'>;
}

export function softmaxRows(z: Float32Array, C: number): Float32Array {
  const out = new Float32Array(z.length);
  for (let r = 0; r < z.length / C; r++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, z[r * C + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(z[r * C + c] - m);
    for (let c = 0; c < C; c++) out[r * C + c] = Math.exp(z[r * C + c] - m) / s;
  }
  return out;
}

export function predictBatch(p: SpanetPredictor, b: GpuBatch): Promise<SpanetPrediction> {
  return p.v2 ? predictV2(p, p.v2, b) : predictSimple(p, p.simple!, b);
}

async function predictSimple(p: SpanetPredictor, model: SpanetModel, b: GpuBatch): Promise<SpanetPrediction> {
  const e = p.engine;
  const { out, loss } = e.scope(() => {
    const o = model.forward(b, b.host.B, p.norms.N);
    return { out: o, loss: spanetLoss(e, o, b, p.spec, p.scales) };
  });
  const P = p.spec.particles.length;
  const R = p.spec.regressions.length;
  const [logProbs, det, reg, cls, termValues] = await Promise.all([
    Promise.all(out.logProbs.map((t) => t.read())),
    out.detectionLogits.read(),
    out.regression ? out.regression.read() : Promise.resolve(new Float32Array(0)),
    Promise.all(out.classLogits.map((t) => t.read())),
    Promise.all([['loss', loss.loss] as const, ...Object.entries(loss.terms)].map(async ([k, t]) => [k, await t.item()] as const)),
  ]);
  for (const t of [
    ...out.logProbs,
    out.detectionLogits,
    ...(out.regression ? [out.regression] : []),
    ...out.classLogits,
    loss.loss,
    ...Object.values(loss.terms),
  ])
    t.dispose();
  const detProbs = softmaxRows(det, 2);
  const detection = new Float32Array(b.host.B * P);
  for (let i = 0; i < detection.length; i++) detection[i] = detProbs[2 * i + 1];
  const { regNorm, classCounts } = p.norms;
  const regression = reg.map((v, i) => v * regNorm.std[i % R] + regNorm.mean[i % R]);
  return {
    logProbs,
    detection,
    regression,
    classProbs: cls.map((z, i) => softmaxRows(z, classCounts[i])),
    terms: Object.fromEntries(termValues),
  };
}

/** spanet-v2: the network in eval mode (batch norms on their running statistics), as upstream's predict. */
async function predictV2(p: SpanetPredictor, v2: SpanetV2Model, b: GpuBatch): Promise<SpanetPrediction> {
  const e = p.engine;
  const wasTraining = v2.network.training;
  v2.network.eval();
  let out: V2Outputs, loss: ReturnType<SpanetV2Model['loss']>;
  try {
    ({ out, loss } = e.scope(() => {
      const o = v2.forward(b);
      return { out: o, loss: v2.loss(o, b, p.scales) };
    }));
  } finally {
    v2.network.train(wasTraining);
  }
  const B = b.host.B,
    P = p.spec.particles.length,
    R = p.spec.regressions.length;
  const [logProbs, det, reg, cls, termValues] = await Promise.all([
    Promise.all(out.logProbs.map((t) => t.read())),
    Promise.all(out.detection.map((t) => t.read())),
    Promise.all(out.regression.map((t) => t.read())),
    Promise.all(out.classLogits.map((t) => t.read())),
    Promise.all([['loss', loss.loss] as const, ...Object.entries(loss.terms)].map(async ([k, t]) => [k, await t.item()] as const)),
  ]);
  for (const t of [...out.logProbs, ...out.detection, ...out.regression, ...out.classLogits, loss.loss, ...Object.values(loss.terms)])
    t.dispose();
  const detection = new Float32Array(B * P);
  for (let i = 0; i < B; i++) for (let q = 0; q < P; q++) detection[i * P + q] = 1 / (1 + Math.exp(-det[q][i]));
  const regression = new Float32Array(B * R);
  for (let i = 0; i < B; i++) for (let r = 0; r < R; r++) regression[i * R + r] = reg[r][i];
  return {
    logProbs,
    detection,
    regression,
    classProbs: cls.map((z, i) => softmaxRows(z, p.norms.classCounts[i])),
    terms: Object.fromEntries(termValues),
  };
}
