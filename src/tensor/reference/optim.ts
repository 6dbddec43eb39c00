/**
 * f64 references of the optimiser kernels (shaders/optim_guard.wgsl, optim_update.wgsl), with
 * torch's semantics: clip_grad_norm_ (eps 1e-6), Adam (L2), AdamW, SGD (dampening 0).
 */

export interface GuardRef {
  norm: number;
  clip: number;
  skip: boolean;
}

/** The guard's decision for gradients `grads` (already summed) times gradScale. */
export function guardRef(grads: ArrayLike<number>[], gradScale: number, maxNorm: number, loss = 0): GuardRef {
  let sq = 0;
  let bad = !Number.isFinite(loss);
  for (const g of grads) {
    for (let i = 0; i < g.length; i++) {
      if (!Number.isFinite(g[i])) bad = true;
      else sq += (g[i] * gradScale) ** 2;
    }
  }
  const norm = Math.sqrt(sq);
  const clip = maxNorm > 0 && norm > 0 ? Math.min(1, maxNorm / (norm + 1e-6)) : 1;
  // The guard also skips when the clipped norm squared would overflow f32.
  const tooLarge = (norm * clip) ** 2 > 3.4028234663852886e38;
  return { norm, clip, skip: bad || tooLarge };
}

export interface AdamRefHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** true: AdamW (decoupled decay); false: Adam with L2 added to the gradient. */
  decoupled: boolean;
}

/** One Adam/AdamW step in place; `t` is the 1-based step count, g already scaled and clipped. */
export function adamStepRef(p: Float64Array, g: ArrayLike<number>, m: Float64Array, v: Float64Array, t: number, h: AdamRefHyper): void {
  const bc1 = 1 - h.beta1 ** t;
  const bc2 = 1 - h.beta2 ** t;
  for (let i = 0; i < p.length; i++) {
    let gi = g[i];
    if (h.decoupled) p[i] *= 1 - h.lr * h.weightDecay;
    else gi += h.weightDecay * p[i];
    m[i] = h.beta1 * m[i] + (1 - h.beta1) * gi;
    v[i] = h.beta2 * v[i] + (1 - h.beta2) * gi * gi;
    p[i] -= (h.lr / bc1) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + h.eps));
  }
}

export interface SgdRefHyper {
  lr: number;
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
}

/** One SGD step in place (buf starts at zeros; dampening 0). */
export function sgdStepRef(p: Float64Array, g: ArrayLike<number>, buf: Float64Array, h: SgdRefHyper): void {
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] + h.weightDecay * p[i];
    let d = gi;
    if (h.momentum !== 0) {
      buf[i] = h.momentum * buf[i] + gi;
      d = h.nesterov ? gi + h.momentum * buf[i] : buf[i];
    }
    p[i] -= h.lr * d;
  }
}
