// Elementwise kernels: fill, unary ops and their gradients, binary ops and their
// gradients, bias add, and broadcasting along an axis (the backward of a reduction).
// One thread per element; a linear index folds y into x so more than 65535 workgroups fit.

struct Params {
  n: u32,       // number of output elements
  code: u32,    // which unary / binary op
  cols: u32,    // bias length / inner size
  axisLen: u32, // broadcast: length of the axis being expanded
  alpha: f32,   // scale factor, fill value
  _p0: u32, _p1: u32, _p2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

fn linear(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * 256u;
}

// tanh of a clamped argument: some backends build tanh from exp and overflow to NaN.
fn tanh_safe(x: f32) -> f32 {
  return tanh(clamp(x, -15.0, 15.0));
}

const GELU_C: f32 = 0.7978845608028654; // sqrt(2/pi)
const GELU_A: f32 = 0.044715;

fn gelu(x: f32) -> f32 {
  return 0.5 * x * (1.0 + tanh_safe(GELU_C * (x + GELU_A * x * x * x)));
}

fn gelu_grad(x: f32) -> f32 {
  let u = GELU_C * (x + GELU_A * x * x * x);
  let t = tanh_safe(u);
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * GELU_C * (1.0 + 3.0 * GELU_A * x * x);
}

fn unary(code: u32, x: f32, alpha: f32) -> f32 {
  switch code {
    case 0u: { return max(x, 0.0); }
    case 1u: { return gelu(x); }
    case 2u: { return 1.0 / (1.0 + exp(-x)); }
    case 3u: { return tanh_safe(x); }
    case 4u: { return log(x); }
    case 5u: { return exp(x); }
    case 6u: { return alpha * x; }
    default: { return x; }
  }
}

// d unary(x) / dx, given x and y = unary(x).
fn unary_grad(code: u32, x: f32, y: f32, alpha: f32) -> f32 {
  switch code {
    case 0u: { return select(0.0, 1.0, x > 0.0); }
    case 1u: { return gelu_grad(x); }
    case 2u: { return y * (1.0 - y); }
    case 3u: { return 1.0 - y * y; }
    case 4u: { return 1.0 / x; }
    case 5u: { return y; }
    case 6u: { return alpha; }
    default: { return 1.0; }
  }
}

@group(0) @binding(1) var<storage, read_write> fillOut: array<f32>;

@compute @workgroup_size(256)
fn fill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear(gid, nwg);
  if (i >= p.n) { return; }
  fillOut[i] = p.alpha;
}

@group(0) @binding(1) var<storage, read> ux: array<f32>;
@group(0) @binding(2) var<storage, read_write> uy: array<f32>;

@compute @workgroup_size(256)
fn unary_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear(gid, nwg);
  if (i >= p.n) { return; }
  uy[i] = unary(p.code, ux[i], p.alpha);
}

@group(0) @binding(1) var<storage, read> bx: array<f32>;
@group(0) @binding(2) var<storage, read> by: array<f32>;
@group(0) @binding(3) var<storage, read> bdy: array<f32>;
@group(0) @binding(4) var<storage, read_write> bdx: array<f32>;

@compute @workgroup_size(256)
fn unary_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear(gid, nwg);
  if (i >= p.n) { return; }
  bdx[i] = bdy[i] * unary_grad(p.code, bx[i], by[i], p.alpha);
}

@group(0) @binding(1) var<storage, read> ea: array<f32>;
@group(0) @binding(2) var<storage, read> eb: array<f32>;
@group(0) @binding(3) var<storage, read_write> ec: array<f32>;

// code 0: a + b, 1: a - b, 2: a * b
@compute @workgroup_size(256)
fn binary_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear(gid, nwg);
  if (i >= p.n) { return; }
  let a = ea[i];
  let b = eb[i];
  var c = a + b;
  if (p.code == 1u) { c = a - b; } else if (p.code == 2u) { c = a * b; }
  ec[i] = c;
}

@group(0) @binding(1) var<storage, read> ga: array<f32>;
@group(0) @binding(2) var<storage, read> gb: array<f32>;
@group(0) @binding(3) var<storage, read> gdc: array<f32>;
@group(0) @binding(4) var<storage, read_write> gda: array<f32>;
@group(0) @binding(5) var<storage, read_write> gdb: array<f32>;

@compute @workgroup_size(256)
fn binary_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear(gid, nwg);
  if (i >= p.n) { return; }
  let g = gdc[i];
  if (p.code == 2u) {
    gda[i] = g * gb[i];
    gdb[i] = g * ga[i];
  } else if (p.code == 1u) {
    gda[i] = g;
    gdb[i] = -g;
  } else {
    gda[i] = g;
    gdb[i] = g;
  }
}

@group(0) @binding(1) var<storage, read> bax: array<f32>;
@group(0) @binding(2) var<storage, read> babias: array<f32>;
@group(0) @binding(3) var<storage, read_write> bay: array<f32>;

// y[r, c] = x[r, c] + bias[c] for x viewed as [n / cols, cols].
@compute @workgroup_size(256)
fn bias_add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear(gid, nwg);
  if (i >= p.n) { return; }
  bay[i] = bax[i] + babias[i % p.cols];
}

@group(0) @binding(1) var<storage, read> brIn: array<f32>;
@group(0) @binding(2) var<storage, read_write> brOut: array<f32>;

// out[o, j, i] = alpha * in[o, i]: expands [outer, inner] along an axis of length axisLen.
@compute @workgroup_size(256)
fn broadcast_axis(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear(gid, nwg);
  if (i >= p.n) { return; }
  let inner = i % p.cols;
  let o = i / (p.cols * p.axisLen);
  brOut[i] = p.alpha * brIn[o * p.cols + inner];
}
