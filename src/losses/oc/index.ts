/**
 * Object condensation losses (Kieseler 2020) with the semantics of the Python package
 * `object_condensation` (pytorch `condensation_loss` and `condensation_loss_tiger`), as engine
 * ops recorded on the tape: each term is differentiable with respect to beta and x.
 *
 *   const t = condensationLoss({ beta, x, objectId, qMin: 1 });
 *   t.attractive, t.repulsive, t.coward, t.noise   // scalar tensors
 *   weightedOcLoss(t, { attractive: 1, repulsive: 1, coward: 0.5, noise: 0.5 })  // training loss
 *
 * `objectId` is host data (Int32Array) or a prebuilt layout (buildOcLayout + uploadOcLayout,
 * done once per batch at data load). Several events can be packed with `eventOffsets`.
 */
import type { Tensor } from '../../tensor/tensor';
import { buildOcLayout, uploadOcLayout, type OcLayout } from './layout';
import { ocCombineOp, ocLossOp, type OcLossAttrs } from './op';

export { buildOcLayout, uploadOcLayout, type OcLayout, type OcLayoutHost } from './layout';
export { ocLossReference, BETA_MAX, OC_EPS, type OcValues } from './reference';
export { ocLossOp, ocCombineOp } from './op';

export interface CondensationLossArgs {
  /** [N] condensation likelihoods. */
  beta: Tensor<'f32'>;
  /** [N, D] clustering coordinates. */
  x: Tensor<'f32'>;
  /** Object id per hit (ids ≤ noiseThreshold are noise), or a layout built from them. */
  objectId: ArrayLike<number> | OcLayout;
  /** [N] per-hit weights on the attractive and repulsive potentials (the hit j's side only). */
  weights?: Tensor<'f32'> | null;
  qMin: number;
  noiseThreshold?: number;
  /** Packed events: [E+1] hit offsets (ignored when objectId is a layout). */
  eventOffsets?: ArrayLike<number>;
  /** 'fused' (default): O(N+K) memory kernels; 'dense': the N×K matrices, for comparison. */
  impl?: 'fused' | 'dense';
}

export interface CondensationLossTerms {
  attractive: Tensor<'f32'>;
  repulsive: Tensor<'f32'>;
  coward: Tensor<'f32'>;
  noise: Tensor<'f32'>;
  /** The four terms as one [4] tensor (attractive, repulsive, coward, noise). */
  terms: Tensor<'f32'>;
}

export const OC_TERMS = ['attractive', 'repulsive', 'coward', 'noise'] as const;
export type OcTerm = (typeof OC_TERMS)[number];

function resolveLayout(args: CondensationLossArgs): OcLayout {
  const id = args.objectId as OcLayout;
  if (id && typeof id === 'object' && 'buffer' in id && 'host' in id) return id;
  const host = buildOcLayout(args.objectId as ArrayLike<number>, {
    noiseThreshold: args.noiseThreshold ?? 0,
    eventOffsets: args.eventOffsets,
  });
  // Owned by the enclosing scope, so it outlives the backward pass of the same step.
  return uploadOcLayout(args.beta.engine, host, false);
}

function run(args: CondensationLossArgs, extra: Partial<OcLossAttrs>): CondensationLossTerms {
  const e = args.beta.engine;
  const layout = resolveLayout(args);
  const attrs: OcLossAttrs = {
    layout,
    qMin: args.qMin,
    impl: args.impl ?? 'fused',
    hasWeights: !!args.weights,
    ...extra,
  };
  const inputs = args.weights ? [args.beta, args.x, args.weights] : [args.beta, args.x];
  const terms = e.apply(ocLossOp, inputs, attrs) as Tensor<'f32'>;
  const pick = (i: number) => {
    const c: [number, number, number, number] = [0, 0, 0, 0];
    c[i] = 1;
    return e.apply(ocCombineOp, [terms], { coeffs: c }) as Tensor<'f32'>;
  };
  return { attractive: pick(0), repulsive: pick(1), coward: pick(2), noise: pick(3), terms };
}

/** upstream `condensation_loss` (the default loss). */
export function condensationLoss(args: CondensationLossArgs): CondensationLossTerms {
  return run(args, {});
}

/**
 * upstream `condensation_loss_tiger`: the same values (computed by the fused kernels) plus
 * nRep, the number of repulsive pairs at distance < 1. With maxNRep > 0 and nRep > maxNRep
 * each such pair is kept with probability maxNRep / nRep (seeded hash of the pair) and
 * up-weighted by its inverse.
 */
export function condensationLossTiger(
  args: Omit<CondensationLossArgs, 'impl'> & { maxNRep?: number; seed?: number },
): CondensationLossTerms & { nRep: Tensor<'u32'> } {
  let nRep: Tensor<'u32'> | null = null;
  const out = run(
    { ...args, impl: 'fused' },
    {
      sampling: { maxNRep: args.maxNRep ?? 0, seed: args.seed ?? 0 },
      onNRep: (t) => (nRep = t),
    },
  );
  return { ...out, nRep: nRep! };
}

/** Σ weight · term over the nonzero weights (a zero weight drops the term, even a NaN noise). */
export function weightedOcLoss(t: CondensationLossTerms, w: Partial<Record<OcTerm, number>>): Tensor<'f32'> {
  const coeffs = OC_TERMS.map((n) => w[n] ?? 0) as [number, number, number, number];
  return t.terms.engine.apply(ocCombineOp, [t.terms], { coeffs }) as Tensor<'f32'>;
}
