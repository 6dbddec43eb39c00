/**
 * The object condensation loss as one registered op: inputs [beta [N], x [N, D], weights [N]?],
 * output the [4] tensor (attractive, repulsive, coward, noise), differentiable in beta and x.
 * `impl: 'fused'` is the tiger strategy done without the N×K matrix (oc_repulsive.wgsl);
 * `impl: 'dense'` is the plain N×K implementation (oc_dense.wgsl). Both give the default loss
 * unless `sampling` (tiger's max_n_rep, fused only) is active.
 */
import { grid1d } from '../../gpu/grid';
import { launchReduce } from '../../tensor/kernels';
import { registerOp, type RefTensor } from '../../tensor/registry';
import type { Engine } from '../../tensor/engine';
import type { Tensor } from '../../tensor/tensor';
import { OC_FLAGS, OC_KERNELS, OC_MAX_FUSED_DIMS, denseFits, ocUniforms, pointChunks, type OcParams } from './kernels';
import type { OcLayout } from './layout';
import { ocLossReference, type OcSampling } from './reference';

export interface OcLossAttrs {
  layout: OcLayout;
  qMin: number;
  impl: 'fused' | 'dense';
  hasWeights: boolean;
  sampling?: OcSampling;
  /** Receives tiger's n_rep ([1] u32, pairs at distance < 1 before sampling; fused only). */
  onNRep?: (nRep: Tensor<'u32'>) => void;
}

function params(at: OcLossAttrs, d: number, extra: Partial<OcParams> = {}): OcParams {
  const sample = at.impl === 'fused' && !!at.sampling && at.sampling.maxNRep > 0;
  const flags = (at.hasWeights ? OC_FLAGS.weights : 0) | (at.impl === 'fused' ? OC_FLAGS.attractive | OC_FLAGS.repPerHit : 0);
  return {
    layout: at.layout,
    d,
    qMin: at.qMin,
    flags,
    seed: at.sampling?.seed ?? 0,
    maxNRep: sample ? at.sampling!.maxNRep : 0,
    ...extra,
  };
}

function check(e: Engine, [beta, x, w]: Tensor[], at: OcLossAttrs): number {
  const n = at.layout.host.n;
  if (beta.size !== n || x.rank !== 2 || x.shape[0] !== n) {
    throw new Error(`condensation loss: beta [${beta.shape}] and x [${x.shape}] must have ${n} rows (the layout's hits)`);
  }
  if (at.hasWeights && (!w || w.size !== n)) throw new Error(`condensation loss: weights need ${n} entries`);
  const d = x.shape[1];
  if (d < 1) throw new Error('condensation loss: x needs at least one coordinate');
  if (at.impl === 'fused' && d > OC_MAX_FUSED_DIMS) {
    throw new Error(`condensation loss: the fused kernels support up to ${OC_MAX_FUSED_DIMS} latent dimensions, x has ${d}`);
  }
  if (at.impl === 'dense' && !denseFits(e.gpu, at.layout)) {
    throw new Error(
      `condensation loss: the dense N×K matrices (${n}×${at.layout.host.k}) exceed the device's maxBufferSize; use impl 'fused'`,
    );
  }
  return d;
}

export const ocLossOp = registerOp<OcLossAttrs>({
  name: 'ocLoss',
  differentiable: [true, true, false],
  forward(e, inputs, at) {
    const [beta, x, weights] = inputs;
    const d = check(e, inputs, at);
    const g = e.gpu;
    const { n, k, e: nev } = at.layout.host;
    const lay = at.layout.buffer.buffer;
    const w = at.hasWeights ? weights.buffer : g.placeholder('read');
    const base = params(at, d);
    const alpha = e.empty([k], 'u32');
    const cp = e.empty([k, d + 1]);
    const terms = e.empty([k, 3]);
    g.dispatch(
      OC_KERNELS.loss,
      'oc_objects',
      [lay, beta.buffer, x.buffer, w, alpha.buffer, cp.buffer, terms.buffer],
      grid1d(k, 64),
      ocUniforms(base),
    );
    const saved: Tensor[] = [alpha, cp];
    let hitRep: Tensor | null = null;
    if (at.impl === 'fused') {
      hitRep = e.empty([n]);
      const counts = e.empty([n], 'u32');
      const nRep = e.empty([1], 'u32');
      const repPass = (flags: number, nrepIn: GPUBuffer) =>
        g.dispatch(
          OC_KERNELS.repulsive,
          'oc_rep_forward',
          [lay, beta.buffer, x.buffer, w, cp.buffer, nrepIn, hitRep!.buffer, counts.buffer],
          grid1d(n, 64),
          ocUniforms({ ...base, flags }),
        );
      repPass(base.flags, g.placeholder('read'));
      g.dispatch(OC_KERNELS.loss, 'oc_count_sum', [lay, counts.buffer, nRep.buffer], [1], ocUniforms(base));
      if (base.maxNRep) repPass(base.flags | OC_FLAGS.sample, nRep.buffer);
      counts.dispose();
      // The caller may own nRep; the backward keeps a view of it (shared storage, own refcount).
      if (at.onNRep) {
        saved.push(e.view(nRep, [1]));
        at.onNRep(nRep);
      } else {
        saved.push(nRep);
      }
    } else {
      const dist = e.empty([n, k]);
      const att = e.empty([n, k]);
      const rep = e.empty([n, k]);
      g.dispatch(
        OC_KERNELS.dense,
        'oc_dense_pairs',
        [lay, beta.buffer, x.buffer, w, cp.buffer, dist.buffer, att.buffer, rep.buffer],
        grid1d(n * k, 256),
        ocUniforms(base),
      );
      const attSum = e.empty([k]);
      const repSum = e.empty([k]);
      launchReduce(g, att.buffer, attSum.buffer, 1, n, k, 1);
      launchReduce(g, rep.buffer, repSum.buffer, 1, n, k, 1);
      g.dispatch(OC_KERNELS.dense, 'oc_dense_terms', [lay, attSum.buffer, repSum.buffer, terms.buffer], grid1d(k, 64), ocUniforms(base));
      for (const t of [att, rep, attSum, repSum]) t.dispose();
      saved.push(dist);
    }
    const ev = e.empty([nev, 4]);
    g.dispatch(
      OC_KERNELS.loss,
      'oc_event_terms',
      [lay, beta.buffer, terms.buffer, hitRep ? hitRep.buffer : g.placeholder('read'), ev.buffer],
      grid1d(nev, 1),
      ocUniforms(base),
    );
    const out = e.empty([4]);
    g.dispatch(OC_KERNELS.loss, 'oc_finalize', [lay, ev.buffer, out.buffer], [1], ocUniforms(base));
    for (const t of [terms, ev, ...(hitRep ? [hitRep] : [])]) t.dispose();
    return { output: out, saved };
  },
  backward(e, node, gOut) {
    const [beta, x, weights] = node.inputs;
    const at = node.attrs;
    const g = e.gpu;
    const d = x.shape[1];
    const { n, k, e: nev } = at.layout.host;
    const lay = at.layout.buffer.buffer;
    const w = at.hasWeights ? weights.buffer : g.placeholder('read');
    const [alpha, cp, third] = node.saved;
    const base = params(at, d);
    const dx = e.empty(x.shape);
    const dq = e.empty([n]);
    const db = e.empty(beta.shape);
    const pairs = e.empty([k, d + 1]);
    if (at.impl === 'fused') {
      const nRep = third;
      const flags = base.flags | (base.maxNRep ? OC_FLAGS.sample : 0);
      g.dispatch(
        OC_KERNELS.repulsive,
        'oc_rep_backward_hits',
        [lay, beta.buffer, x.buffer, w, cp.buffer, nRep.buffer, gOut.buffer, dx.buffer, dq.buffer, db.buffer],
        grid1d(n, 64),
        ocUniforms({ ...base, flags }),
      );
      const { chunk, chunks } = pointChunks(at.layout);
      const part = e.empty([chunks, k, d + 1]);
      g.dispatch(
        OC_KERNELS.repulsive,
        'oc_rep_backward_points',
        [lay, beta.buffer, x.buffer, w, cp.buffer, nRep.buffer, gOut.buffer, part.buffer],
        [Math.ceil(k / 64), chunks],
        ocUniforms({ ...base, flags, chunk, chunks }),
      );
      launchReduce(g, part.buffer, pairs.buffer, 1, chunks, k * (d + 1), 1);
      part.dispose();
    } else {
      const dist = third;
      g.dispatch(
        OC_KERNELS.dense,
        'oc_dense_backward_rows',
        [lay, beta.buffer, x.buffer, w, cp.buffer, dist.buffer, gOut.buffer, dx.buffer, dq.buffer, db.buffer],
        grid1d(n, 64),
        ocUniforms(base),
      );
      g.dispatch(
        OC_KERNELS.dense,
        'oc_dense_backward_cols',
        [lay, beta.buffer, x.buffer, w, cp.buffer, dist.buffer, gOut.buffer, pairs.buffer],
        grid1d(k, 64),
        ocUniforms(base),
      );
    }
    const cpGrad = e.empty([k, d + 2]);
    g.dispatch(
      OC_KERNELS.loss,
      'oc_objects_backward',
      [lay, beta.buffer, x.buffer, w, alpha.buffer, gOut.buffer, dx.buffer, dq.buffer, cpGrad.buffer],
      grid1d(k, 64),
      ocUniforms(base),
    );
    g.dispatch(
      OC_KERNELS.loss,
      'oc_scatter_cp',
      [lay, alpha.buffer, cpGrad.buffer, pairs.buffer, dx.buffer, dq.buffer, db.buffer],
      grid1d(nev, 64),
      ocUniforms(base),
    );
    g.dispatch(OC_KERNELS.loss, 'oc_beta_grad', [lay, beta.buffer, gOut.buffer, dq.buffer, db.buffer], grid1d(n, 256), ocUniforms(base));
    for (const t of [dq, pairs, cpGrad]) t.dispose();
    return [db, dx, null];
  },
  reference([beta, x, weights], at): RefTensor {
    const v = ocLossReference(
      at.layout.host,
      {
        beta: beta.data,
        x: x.data,
        d: x.shape[1],
        weights: at.hasWeights ? weights.data : null,
        qMin: at.qMin,
      },
      at.impl === 'fused' ? at.sampling : undefined,
    );
    return { data: Float64Array.from([v.attractive, v.repulsive, v.coward, v.noise]), shape: [4] };
  },
});

export interface OcCombineAttrs {
  /** Coefficients of attractive, repulsive, coward, noise; a zero skips the term (noise may be NaN). */
  coeffs: [number, number, number, number];
}

const coeffUniforms = (c: number[]) => c.map((v) => ['f32', v] as ['f32', number]);

/** Σ c_i · terms_i over the nonzero coefficients: picks one term, or the weighted total. */
export const ocCombineOp = registerOp<OcCombineAttrs>({
  name: 'ocCombine',
  differentiable: [true],
  forward(e, [terms], at) {
    if (terms.size !== 4) throw new Error(`ocCombine: expected the [4] loss terms, got [${terms.shape}]`);
    const out = e.empty([]);
    e.gpu.dispatch(OC_KERNELS.loss, 'oc_combine', [terms.buffer, out.buffer], [1], coeffUniforms(at.coeffs));
    return { output: out };
  },
  backward(e, node, g) {
    const dt = e.empty([4]);
    e.gpu.dispatch(OC_KERNELS.loss, 'oc_combine_backward', [g.buffer, dt.buffer], [1], coeffUniforms(node.attrs.coeffs));
    return [dt];
  },
  reference([terms], at) {
    let s = 0;
    at.coeffs.forEach((c, i) => {
      if (c !== 0) s += c * terms.data[i];
    });
    return { data: Float64Array.from([s]), shape: [] };
  },
});
