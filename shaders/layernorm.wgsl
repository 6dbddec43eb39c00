// Layer normalisation over the last axis of x [R, W]:
//   y = (x - mean) * rstd * gamma + beta,   rstd = 1 / sqrt(var + eps)
// One thread per row (widths here are ≤ a few hundred). The forward keeps (mean, rstd)
// per row for the backward pass.

struct Params { R: u32, W: u32, eps: f32, _p0: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> stats: array<f32>; // [R, 2]: mean, rstd

fn row_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * 64u;
}

@compute @workgroup_size(64)
fn layernorm_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = row_index(gid, nwg);
  if (r >= p.R) { return; }
  let base = r * p.W;
  var m = 0.0;
  for (var c = 0u; c < p.W; c++) { m += x[base + c]; }
  m = m / f32(p.W);
  // Two-pass variance: no cancellation when |mean| ≫ spread.
  var v = 0.0;
  for (var c = 0u; c < p.W; c++) { let d = x[base + c] - m; v += d * d; }
  let rstd = 1.0 / sqrt(v / f32(p.W) + p.eps);
  for (var c = 0u; c < p.W; c++) {
    y[base + c] = (x[base + c] - m) * rstd * gamma[c] + beta[c];
  }
  stats[2u * r] = m;
  stats[2u * r + 1u] = rstd;
}

@group(0) @binding(1) var<storage, read> bx: array<f32>;
@group(0) @binding(2) var<storage, read> bGamma: array<f32>;
@group(0) @binding(3) var<storage, read> bStats: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<storage, read_write> dyXhat: array<f32>; // [R, W], summed over rows → dgamma

// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)),  g = dy * gamma
@compute @workgroup_size(64)
fn layernorm_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = row_index(gid, nwg);
  if (r >= p.R) { return; }
  let base = r * p.W;
  let m = bStats[2u * r];
  let rstd = bStats[2u * r + 1u];
  var mg = 0.0;
  var mgx = 0.0;
  for (var c = 0u; c < p.W; c++) {
    let xhat = (bx[base + c] - m) * rstd;
    let g = dy[base + c] * bGamma[c];
    mg += g;
    mgx += g * xhat;
    dyXhat[base + c] = dy[base + c] * xhat;
  }
  mg = mg / f32(p.W);
  mgx = mgx / f32(p.W);
  for (var c = 0u; c < p.W; c++) {
    let xhat = (bx[base + c] - m) * rstd;
    dx[base + c] = rstd * (dy[base + c] * bGamma[c] - mg - xhat * mgx);
  }
}
