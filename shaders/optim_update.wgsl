// Fused optimiser updates of one parameter tensor, in place, guarded by the step guard
// (optim_guard.wgsl): when the guard says skip, nothing is written. The gradient used is
// grad * grad_scale * clip, as after torch.nn.utils.clip_grad_norm_.
//
// Last resort: an element whose new weight or moment would not be finite keeps its old values
// and raises guard.overflow (the guard's norm test makes this unreachable for Adam/AdamW).

struct Guard {
  clip: f32, norm: f32, skip: u32, t: u32,
  skipped: f32, consecutive: f32, loss_bad: u32, overflow: u32,
  bad: array<u32>,
}

fn finite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

// exp(x) - 1 without cancellation for small |x| (WGSL has no expm1).
fn expm1(x: f32) -> f32 {
  if (abs(x) < 0.5) {
    // Taylor to x^9 / 9!: the remainder is below 1e-9 relative for |x| < 0.5.
    var term = x;
    var sum = x;
    for (var k = 2; k <= 9; k++) {
      term = term * x / f32(k);
      sum += term;
    }
    return sum;
  }
  return exp(x) - 1.0;
}

// ---- Adam / AdamW ---------------------------------------------------------------------------
// torch.optim.AdamW (decoupled = 1): p *= 1 - lr wd, then the Adam step on g.
// torch.optim.Adam  (decoupled = 0): g += wd p (L2), then the Adam step.
// Adam step: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
//            p -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps), bc_i = 1 - b_i^t = -expm1(t ln b_i)
// with t the guard's step count (ln b_i from the host in f64, rounded once to f32).

struct AdamParams {
  n: u32, decoupled: u32, _p0: u32, _p1: u32,
  lr: f32, b1: f32, b2: f32, eps: f32,
  wd: f32, ln_b1: f32, ln_b2: f32, grad_scale: f32,
}

@group(0) @binding(0) var<uniform> ap: AdamParams;
@group(0) @binding(1) var<storage, read_write> a_param: array<f32>;
@group(0) @binding(2) var<storage, read> a_grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> a_m: array<f32>;
@group(0) @binding(4) var<storage, read_write> a_v: array<f32>;
@group(0) @binding(5) var<storage, read_write> a_guard: Guard;

@compute @workgroup_size(256)
fn adam_update(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= ap.n || a_guard.skip != 0u) { return; }
  let t = f32(a_guard.t);
  let bc1 = -expm1(t * ap.ln_b1);
  let bc2 = -expm1(t * ap.ln_b2);
  let w0 = a_param[i];
  var g = a_grad[i] * ap.grad_scale * a_guard.clip;
  var w = w0;
  if (ap.decoupled != 0u) {
    w = w * (1.0 - ap.lr * ap.wd);
  } else {
    g = g + ap.wd * w0;
  }
  let m = ap.b1 * a_m[i] + (1.0 - ap.b1) * g;
  let v = ap.b2 * a_v[i] + (1.0 - ap.b2) * g * g;
  w = w - (ap.lr / bc1) * (m / (sqrt(v) / sqrt(bc2) + ap.eps));
  if (!(finite(w) && finite(m) && finite(v))) {
    a_guard.overflow = 1u;
    return;
  }
  a_param[i] = w;
  a_m[i] = m;
  a_v[i] = v;
}

// ---- SGD ------------------------------------------------------------------------------------
// torch.optim.SGD with dampening 0: g += wd p; buf = momentum buf + g (buf starts at 0, so the
// first step gives buf = g as torch's clone); d = nesterov ? g + momentum buf : buf; p -= lr d.

struct SgdParams {
  n: u32, nesterov: u32, has_momentum: u32, _p0: u32,
  lr: f32, momentum: f32, wd: f32, grad_scale: f32,
}

@group(0) @binding(0) var<uniform> sp: SgdParams;
@group(0) @binding(1) var<storage, read_write> s_param: array<f32>;
@group(0) @binding(2) var<storage, read> s_grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> s_buf: array<f32>;
@group(0) @binding(4) var<storage, read_write> s_guard: Guard;

@compute @workgroup_size(256)
fn sgd_update(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= sp.n || s_guard.skip != 0u) { return; }
  let w0 = s_param[i];
  let g = s_grad[i] * sp.grad_scale * s_guard.clip + sp.wd * w0;
  var d = g;
  var b = 0.0;
  if (sp.has_momentum != 0u) {
    b = sp.momentum * s_buf[i] + g;
    d = select(b, g + sp.momentum * b, sp.nesterov != 0u);
  }
  let w = w0 - sp.lr * d;
  if (!(finite(w) && finite(b))) {
    s_guard.overflow = 1u;
    return;
  }
  s_param[i] = w;
  if (sp.has_momentum != 0u) { s_buf[i] = b; }
}
