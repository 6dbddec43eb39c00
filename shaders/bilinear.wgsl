// Bilinear resampling of NCHW planes with torch's align_corners=False rule (F.interpolate
// mode='bilinear'): output o reads source s = max(0, ratio·(o + 0.5) - 0.5), ratio = in/out
// (or 1/scale_factor when one is given), from i0 = floor(s) and i1 = min(i0 + 1, in - 1)
// with weights 1 - λ and λ = s - i0. The backward gathers (one thread per input pixel, no
// atomics) over the outputs whose taps can reach the pixel, recomputing the same weights.

struct Params { planes: u32, H: u32, W: u32, Ho: u32, Wo: u32, ratio_h: f32, ratio_w: f32, _p0: u32 }

@group(0) @binding(0) var<uniform> p: Params;

struct Taps { i0: u32, i1: u32, l: f32 }

fn taps(o: u32, ratio: f32, size: u32) -> Taps {
  let s = max(ratio * (f32(o) + 0.5) - 0.5, 0.0);
  let i0 = min(u32(floor(s)), size - 1u);
  let i1 = min(i0 + 1u, size - 1u);
  return Taps(i0, i1, s - f32(i0));
}

// Weight of source index i in output o along one axis.
fn weight(o: u32, i: u32, ratio: f32, size: u32) -> f32 {
  let t = taps(o, ratio, size);
  return select(0.0, 1.0 - t.l, t.i0 == i) + select(0.0, t.l, t.i1 == i);
}

@group(0) @binding(1) var<storage, read> fx: array<f32>;
@group(0) @binding(2) var<storage, read_write> fy: array<f32>;

@compute @workgroup_size(256)
fn bilinear_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.planes * p.Ho * p.Wo) { return; }
  let ox = i % p.Wo;
  let oy = (i / p.Wo) % p.Ho;
  let base = (i / (p.Wo * p.Ho)) * p.H * p.W;
  let ty = taps(oy, p.ratio_h, p.H);
  let tx = taps(ox, p.ratio_w, p.W);
  let r0 = base + ty.i0 * p.W;
  let r1 = base + ty.i1 * p.W;
  let top = (1.0 - tx.l) * fx[r0 + tx.i0] + tx.l * fx[r0 + tx.i1];
  let bottom = (1.0 - tx.l) * fx[r1 + tx.i0] + tx.l * fx[r1 + tx.i1];
  fy[i] = (1.0 - ty.l) * top + ty.l * bottom;
}

// Outputs along one axis whose taps may include source index i: s ∈ (i - 1, i + 1), widened
// by one on each side against rounding (weight() is exact, so extra outputs add zero).
fn out_range(i: u32, ratio: f32, out_size: u32) -> vec2<u32> {
  let lo = (f32(i) - 0.5) / ratio - 0.5;
  let hi = (f32(i) + 1.5) / ratio - 0.5;
  let a = u32(max(floor(lo) - 1.0, 0.0));
  let b = u32(clamp(ceil(hi) + 1.0, 0.0, f32(out_size - 1u)));
  return vec2<u32>(a, b);
}

@group(0) @binding(1) var<storage, read> bdy: array<f32>;
@group(0) @binding(2) var<storage, read_write> bdx: array<f32>;

@compute @workgroup_size(256)
fn bilinear_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.planes * p.H * p.W) { return; }
  let ix = i % p.W;
  let iy = (i / p.W) % p.H;
  let base = (i / (p.W * p.H)) * p.Ho * p.Wo;
  let ry = out_range(iy, p.ratio_h, p.Ho);
  let rx = out_range(ix, p.ratio_w, p.Wo);
  var acc = 0.0;
  for (var oy = ry.x; oy <= ry.y; oy++) {
    let wy = weight(oy, iy, p.ratio_h, p.H);
    if (wy == 0.0) { continue; }
    var row = 0.0;
    for (var ox = rx.x; ox <= rx.y; ox++) {
      row += weight(ox, ix, p.ratio_w, p.W) * bdy[base + oy * p.Wo + ox];
    }
    acc += wy * row;
  }
  bdx[i] = acc;
}
