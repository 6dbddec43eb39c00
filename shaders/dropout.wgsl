// Inverted dropout: y = x · keep / (1 - p) with keep = [u ≥ p], u a uniform in [0, 1) hashed
// from (seed, element index). The mask is never stored: backward rehashes it, so the same
// (seed, index) drops the same element forward and backward. u has 24 bits, exact in f32,
// so the TypeScript reference reproduces the mask bit for bit.

struct Params { n: u32, seed: u32, p: f32, scale: f32 }

@group(0) @binding(0) var<uniform> p: Params;

// lowbias32 (Chris Wellons' integer hash): every input bit affects every output bit.
fn mix32(v: u32) -> u32 {
  var x = v;
  x ^= x >> 16u;
  x *= 0x7feb352du;
  x ^= x >> 15u;
  x *= 0x846ca68bu;
  x ^= x >> 16u;
  return x;
}

fn keep_scale(i: u32) -> f32 {
  let u = f32(mix32(i + mix32(p.seed)) >> 8u) * (1.0 / 16777216.0);
  return select(0.0, p.scale, u >= p.p);
}

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// Forward (x) and backward (x = dy, y = dx) are the same masked scaling.
@compute @workgroup_size(256)
fn dropout_apply(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  y[i] = x[i] * keep_scale(i);
}
