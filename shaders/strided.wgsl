// Strided copies of row-major tensors of rank <= 8. Values move as u32 bits, so one kernel
// serves f32 and i32 tensors (no float conversion can touch integer bit patterns).
//   strided_copy: out[i] = x[offset + sum_d c_d * stride_d], c the coordinates of i in the
//                 output shape (permute, strided slice);
//   embed:        out[i] = x[(c_d - begin_d) / step_d] when every c_d lands on an input
//                 element, else `value` (constant pad, negative pads crop; the backward of
//                 a strided slice);
//   block_copy:   dst[(i / blk) * dstRow + dstOff + i % blk] = src[(i / blk) * srcRow + srcOff + i % blk]
//                 (concatenation along any axis and its backward).
// One thread per output element; the linear index folds y into x past 65535 workgroups.

struct Params {
  n: u32, rank: u32, offset: u32, value: u32,
  blk: u32, srcRow: u32, srcOff: u32, dstRow: u32,
  dstOff: u32, _p0: u32, _p1: u32, _p2: u32,
  shape: array<vec4<u32>, 2>,    // output shape
  stride: array<vec4<u32>, 2>,   // strided_copy: input stride per output dim; embed: input strides
  begin: array<vec4<i32>, 2>,
  step: array<vec4<u32>, 2>,
  inShape: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

fn linear(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * 256u;
}

@compute @workgroup_size(256)
fn strided_copy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear(gid, nwg);
  if (i >= p.n) { return; }
  var rem = i;
  var src = p.offset;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let s = p.shape[d / 4][d % 4];
    src += (rem % s) * p.stride[d / 4][d % 4];
    rem /= s;
  }
  out[i] = x[src];
}

@compute @workgroup_size(256)
fn embed(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear(gid, nwg);
  if (i >= p.n) { return; }
  var rem = i;
  var src = 0u;
  var inside = true;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let s = p.shape[d / 4][d % 4];
    let t = i32(rem % s) - p.begin[d / 4][d % 4];
    rem /= s;
    let st = i32(p.step[d / 4][d % 4]);
    if (t < 0 || t % st != 0 || t / st >= i32(p.inShape[d / 4][d % 4])) {
      inside = false;
    } else {
      src += u32(t / st) * p.stride[d / 4][d % 4];
    }
  }
  if (inside) { out[i] = x[src]; } else { out[i] = p.value; }
}

@compute @workgroup_size(256)
fn block_copy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear(gid, nwg);
  if (i >= p.n) { return; }
  let r = i / p.blk;
  let j = i % p.blk;
  out[r * p.dstRow + p.dstOff + j] = x[r * p.srcRow + p.srcOff + j];
}
