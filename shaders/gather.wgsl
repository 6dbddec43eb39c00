// Gather and deterministic scatter-add along one axis of row-major tensors (rank <= 8).
//   mode 0 (indexSelect / indexAdd): index is [K], the same for every position off the axis;
//   mode 1 (takeAlongAxis / scatterAdd): index has the shape of the gathered output (of src
//          for scatter), one index per element.
// Indices outside [0, axisLen) gather 0 and scatter nothing: a GPU-side guard, no error.
// Values move as u32 bits (gather works for f32 and i32 tensors); scatter adds f32.
// scatter_add runs one thread per destination element that loops over the K candidate
// sources along the axis in order: O(|base| * K) work, no atomics, a fixed summation order.

struct Params {
  n: u32, rank: u32, axis: u32, mode: u32,
  axisLen: u32, K: u32, _p0: u32, _p1: u32,
  shape: array<vec4<u32>, 2>,   // output shape (gather) or base shape (scatter)
  aShape: array<vec4<u32>, 2>,  // scatter: src shape
  aStride: array<vec4<u32>, 2>, // gather: strides of x; scatter: strides of src
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> index: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;
// scatter only
@group(0) @binding(4) var<storage, read> src: array<u32>;

fn linear(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * 256u;
}

@compute @workgroup_size(256)
fn gather_axis(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear(gid, nwg);
  if (i >= p.n) { return; }
  var rem = i;
  var off = 0u;
  var ca = 0u;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let s = p.shape[d / 4][d % 4];
    let c = rem % s;
    rem /= s;
    if (u32(d) == p.axis) { ca = c; } else { off += c * p.aStride[d / 4][d % 4]; }
  }
  let idx = index[select(i, ca, p.mode == 0u)];
  if (idx < 0 || u32(idx) >= p.axisLen) {
    out[i] = 0u;
  } else {
    out[i] = x[off + u32(idx) * p.aStride[p.axis / 4u][p.axis % 4u]];
  }
}

@compute @workgroup_size(256)
fn scatter_add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear(gid, nwg);
  if (i >= p.n) { return; }
  var rem = i;
  var off = 0u;
  var ca = 0u;
  var covered = true; // is this position off the axis inside src's (possibly smaller) shape?
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let s = p.shape[d / 4][d % 4];
    let c = rem % s;
    rem /= s;
    if (u32(d) == p.axis) {
      ca = c;
    } else {
      off += c * p.aStride[d / 4][d % 4];
      if (c >= p.aShape[d / 4][d % 4]) { covered = false; }
    }
  }
  var acc = bitcast<f32>(x[i]);
  if (covered) {
    let step = p.aStride[p.axis / 4u][p.axis % 4u];
    for (var k = 0u; k < p.K; k++) {
      let pos = off + k * step;
      if (index[select(pos, k, p.mode == 0u)] == i32(ca)) { acc += bitcast<f32>(src[pos]); }
    }
  }
  out[i] = bitcast<u32>(acc);
}
