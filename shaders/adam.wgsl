// Fused AdamW update of one parameter tensor, in place:
//   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
//   p -= lr * (m / bc1 / (sqrt(v / bc2) + eps) + wd * p)
// bc1 = 1 - b1^t and bc2 = 1 - b2^t are computed on the host from the step count.

struct Params {
  n: u32, _p0: u32, _p1: u32, _p2: u32,
  lr: f32, b1: f32, b2: f32, eps: f32,
  wd: f32, bc1: f32, bc2: f32, gradScale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m1: array<f32>;
@group(0) @binding(4) var<storage, read_write> m2: array<f32>;

@compute @workgroup_size(256)
fn adam_step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let g = grad[i] * p.gradScale;
  let m = p.b1 * m1[i] + (1.0 - p.b1) * g;
  let v = p.b2 * m2[i] + (1.0 - p.b2) * g * g;
  m1[i] = m;
  m2[i] = v;
  let w = param[i];
  param[i] = w - p.lr * (m / p.bc1 / (sqrt(v / p.bc2) + p.eps) + p.wd * w);
}
