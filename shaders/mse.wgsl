// Mean squared error: forward writes (p - t)^2 per element for a reduction to add up;
// backward scales by the upstream scalar gradient read from GPU memory (no readback).

struct Params { n: u32, _p0: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> pred: array<f32>;
@group(0) @binding(2) var<storage, read> truth: array<f32>;
@group(0) @binding(3) var<storage, read_write> sq: array<f32>;

@compute @workgroup_size(256)
fn squared_error(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let d = pred[i] - truth[i];
  sq[i] = d * d;
}

@group(0) @binding(1) var<storage, read> bp: array<f32>;
@group(0) @binding(2) var<storage, read> bt: array<f32>;
@group(0) @binding(3) var<storage, read> gout: array<f32>;
@group(0) @binding(4) var<storage, read_write> dpred: array<f32>;
@group(0) @binding(5) var<storage, read_write> dtarget: array<f32>;

@compute @workgroup_size(256)
fn mse_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let g = gout[0] * 2.0 / f32(p.n) * (bp[i] - bt[i]);
  dpred[i] = g;
  dtarget[i] = -g;
}
