// Concatenation of two NCHW tensors along channels: y [N, Ca + Cb, HW] from a [N, Ca, HW]
// and b [N, Cb, HW]; the backward splits dy back into da and db. One thread per element.

struct Params { N: u32, Ca: u32, Cb: u32, HW: u32 }

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var<storage, read> ca: array<f32>;
@group(0) @binding(2) var<storage, read> cb: array<f32>;
@group(0) @binding(3) var<storage, read_write> cy: array<f32>;

@compute @workgroup_size(256)
fn concat_channels_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  let C = p.Ca + p.Cb;
  if (i >= p.N * C * p.HW) { return; }
  let q = i % p.HW;
  let r = i / p.HW;
  let c = r % C;
  let n = r / C;
  if (c < p.Ca) {
    cy[i] = ca[(n * p.Ca + c) * p.HW + q];
  } else {
    cy[i] = cb[(n * p.Cb + c - p.Ca) * p.HW + q];
  }
}

@group(0) @binding(1) var<storage, read> sdy: array<f32>;
@group(0) @binding(2) var<storage, read_write> sda: array<f32>;
@group(0) @binding(3) var<storage, read_write> sdb: array<f32>;

@compute @workgroup_size(256)
fn concat_channels_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  let C = p.Ca + p.Cb;
  if (i >= p.N * C * p.HW) { return; }
  let q = i % p.HW;
  let r = i / p.HW;
  let c = r % C;
  let n = r / C;
  if (c < p.Ca) {
    sda[(n * p.Ca + c) * p.HW + q] = sdy[i];
  } else {
    sdb[(n * p.Cb + c - p.Ca) * p.HW + q] = sdy[i];
  }
}
