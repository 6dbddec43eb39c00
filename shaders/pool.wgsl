// Non-overlapping k×k pooling of NCHW tensors (stride = k): Ho = H / k, Wo = W / k (floor;
// trailing rows and columns that fill no window are dropped and get zero gradient).
// Max pooling keeps the flat input index of each window's first maximum (row-major order)
// so the backward pass is a gather: each input pixel belongs to at most one window.

struct Params { N: u32, C: u32, H: u32, W: u32, Ho: u32, Wo: u32, k: u32, _p0: u32 }

@group(0) @binding(0) var<uniform> p: Params;

fn out_index(i: u32) -> vec4<u32> { // (n·C + c, oy, ox, flat input offset of the plane)
  let ox = i % p.Wo;
  let r = i / p.Wo;
  let oy = r % p.Ho;
  let nc = r / p.Ho;
  return vec4<u32>(nc, oy, ox, nc * p.H * p.W);
}

// ---- max pooling forward
@group(0) @binding(1) var<storage, read> mx: array<f32>;
@group(0) @binding(2) var<storage, read_write> my: array<f32>;
@group(0) @binding(3) var<storage, read_write> marg: array<i32>;

@compute @workgroup_size(256)
fn maxpool_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.N * p.C * p.Ho * p.Wo) { return; }
  let o = out_index(i);
  var best = o.w + (o.y * p.k) * p.W + o.z * p.k;
  var m = mx[best];
  for (var dy = 0u; dy < p.k; dy++) {
    for (var dx = 0u; dx < p.k; dx++) {
      let j = o.w + (o.y * p.k + dy) * p.W + o.z * p.k + dx;
      if (mx[j] > m) { m = mx[j]; best = j; }
    }
  }
  my[i] = m;
  marg[i] = i32(best);
}

// ---- max pooling backward: dx[j] = dy[window of j] if j was its argmax
@group(0) @binding(1) var<storage, read> bdy: array<f32>;
@group(0) @binding(2) var<storage, read> barg: array<i32>;
@group(0) @binding(3) var<storage, read_write> bdx: array<f32>;

fn window_of(j: u32) -> i32 { // output index of the window holding input j, or -1
  let ix = j % p.W;
  let r = j / p.W;
  let iy = r % p.H;
  let nc = r / p.H;
  let oy = iy / p.k;
  let ox = ix / p.k;
  if (oy >= p.Ho || ox >= p.Wo) { return -1; }
  return i32((nc * p.Ho + oy) * p.Wo + ox);
}

@compute @workgroup_size(256)
fn maxpool_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let j = gid.x + gid.y * nwg.x * 256u;
  if (j >= p.N * p.C * p.H * p.W) { return; }
  let o = window_of(j);
  var g = 0.0;
  if (o >= 0 && barg[u32(o)] == i32(j)) { g = bdy[u32(o)]; }
  bdx[j] = g;
}

// ---- average pooling
@group(0) @binding(1) var<storage, read> ax: array<f32>;
@group(0) @binding(2) var<storage, read_write> ay: array<f32>;

@compute @workgroup_size(256)
fn avgpool_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.N * p.C * p.Ho * p.Wo) { return; }
  let o = out_index(i);
  var s = 0.0;
  for (var dy = 0u; dy < p.k; dy++) {
    for (var dx = 0u; dx < p.k; dx++) {
      s += ax[o.w + (o.y * p.k + dy) * p.W + o.z * p.k + dx];
    }
  }
  ay[i] = s / f32(p.k * p.k);
}

@group(0) @binding(1) var<storage, read> gdy: array<f32>;
@group(0) @binding(2) var<storage, read_write> gdx: array<f32>;

@compute @workgroup_size(256)
fn avgpool_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let j = gid.x + gid.y * nwg.x * 256u;
  if (j >= p.N * p.C * p.H * p.W) { return; }
  let o = window_of(j);
  var g = 0.0;
  if (o >= 0) { g = gdy[u32(o)] / f32(p.k * p.k); }
  gdx[j] = g;
}
