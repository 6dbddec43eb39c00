// Nearest-neighbour upsampling of NCHW tensors by an integer factor f:
//   y[n, c, oy, ox] = x[n, c, oy / f, ox / f].
// The backward sums each input pixel's f×f block of output gradients in one thread.

struct Params { NC: u32, H: u32, W: u32, f: u32 }

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var<storage, read> ux: array<f32>;
@group(0) @binding(2) var<storage, read_write> uy: array<f32>;

@compute @workgroup_size(256)
fn upsample_nearest_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  let Wo = p.W * p.f;
  let Ho = p.H * p.f;
  if (i >= p.NC * Ho * Wo) { return; }
  let ox = i % Wo;
  let r = i / Wo;
  let oy = r % Ho;
  let nc = r / Ho;
  uy[i] = ux[(nc * p.H + oy / p.f) * p.W + ox / p.f];
}

@group(0) @binding(1) var<storage, read> gdy: array<f32>;
@group(0) @binding(2) var<storage, read_write> gdx: array<f32>;

@compute @workgroup_size(256)
fn upsample_nearest_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let j = gid.x + gid.y * nwg.x * 256u;
  if (j >= p.NC * p.H * p.W) { return; }
  let ix = j % p.W;
  let r = j / p.W;
  let iy = r % p.H;
  let nc = r / p.H;
  let Wo = p.W * p.f;
  let Ho = p.H * p.f;
  var s = 0.0;
  for (var a = 0u; a < p.f; a++) {
    let row = (nc * Ho + iy * p.f + a) * Wo + ix * p.f;
    for (var b = 0u; b < p.f; b++) { s += gdy[row + b]; }
  }
  gdx[j] = s;
}
