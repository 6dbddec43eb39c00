// Dense cosmic planes from a sparse PlanesPayload (src/tensor/ops/densifyPlanes.ts): voxels of
// (event, plane) pair q are [offsets[q], offsets[q + 1]) with `index` = time · W + wire in the
// full-resolution H × W plane. Indices are distinct within a plane (the reader keeps the last
// voxel of a pixel), so the image scatter needs no atomics; labels go straight to the pooled
// plane with atomicMax (max pooling commutes), images through a zeroed full-resolution chunk
// that pool_image averages in the order downsamplePlanes sums (rows, then columns).

struct Params {
  H: u32, W: u32, f: u32, plane0: u32, // full-resolution sides, pooling factor 2^k, first pair
  planes: u32, voxel0: u32, voxels: u32, dst_plane0: u32, // pairs and voxels of this dispatch; pair at dst plane 0
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> offsets: array<u32>;
@group(0) @binding(2) var<storage, read> voxel_index: array<u32>;

// The pair q in [plane0, plane0 + planes) that owns voxel v: the last q with offsets[q] <= v
// (an empty pair shares its offset with the next one, which wins).
fn pair_of(v: u32) -> u32 {
  var lo = p.plane0;
  var hi = p.plane0 + p.planes;
  loop {
    if (hi - lo <= 1u) { break; }
    let mid = (lo + hi) / 2u;
    if (offsets[mid] <= v) { lo = mid; } else { hi = mid; }
  }
  return lo;
}

// ---- images: scatter into a zeroed [planes, H, W] block whose plane 0 is pair dst_plane0
@group(0) @binding(3) var<storage, read> image_value: array<f32>;
@group(0) @binding(4) var<storage, read_write> dst_image: array<f32>;

@compute @workgroup_size(256)
fn scatter_image(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.voxels) { return; }
  let v = p.voxel0 + i;
  let idx = voxel_index[v];
  if (idx >= p.H * p.W) { return; } // the host checked; never write outside the plane
  dst_image[(pair_of(v) - p.dst_plane0) * p.H * p.W + idx] = image_value[v];
}

// ---- labels: max into the zeroed pooled [pairs, H / f, W / f] labels
@group(0) @binding(3) var<storage, read> label_value: array<i32>;
@group(0) @binding(4) var<storage, read_write> dst_label: array<atomic<i32>>;

@compute @workgroup_size(256)
fn scatter_label(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.voxels) { return; }
  let v = p.voxel0 + i;
  let idx = voxel_index[v];
  if (idx >= p.H * p.W) { return; }
  let Ho = p.H / p.f;
  let Wo = p.W / p.f;
  let y = (idx / p.W) / p.f;
  let x = (idx % p.W) / p.f;
  atomicMax(&dst_label[(pair_of(v) * Ho + y) * Wo + x], label_value[v]);
}

// ---- images: average f × f windows of the full-resolution block of pairs [plane0, plane0 + planes)
@group(0) @binding(1) var<storage, read> full: array<f32>;
@group(0) @binding(2) var<storage, read_write> pooled: array<f32>;

@compute @workgroup_size(256)
fn pool_image(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  let Ho = p.H / p.f;
  let Wo = p.W / p.f;
  if (i >= p.planes * Ho * Wo) { return; }
  let ox = i % Wo;
  let r = i / Wo;
  let oy = r % Ho;
  let q = r / Ho;
  var s = 0.0;
  for (var a = 0u; a < p.f; a++) {
    let row = (q * p.H + oy * p.f + a) * p.W + ox * p.f;
    for (var b = 0u; b < p.f; b++) {
      s += full[row + b];
    }
  }
  pooled[p.plane0 * Ho * Wo + i] = s / f32(p.f * p.f);
}
