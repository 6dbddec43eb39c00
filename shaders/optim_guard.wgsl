// The step guard: one reduction over every gradient of a step that yields, on the GPU,
//   - the global gradient norm (torch.nn.utils.clip_grad_norm_, eps 1e-6) and the clip factor,
//   - the "skip" flag: the loss or any gradient element is non-finite, or the (clipped)
//     gradient is too large for its square to fit in f32 (Adam's second moment would overflow),
//   - the optimiser step count t (advanced only on steps that are not skipped) and the
//     skipped-step counters, and sticky per-parameter flags read back with the metric ring.
// The update kernels (optim_update.wgsl) read skip, clip and t from the same buffer.
//
// Norms are accumulated scaled, as LAPACK's nrm2: a pair (m, s) means m * sqrt(s) with m the
// largest magnitude seen, so finite gradients never overflow the sum of squares.

struct Guard {
  clip: f32, norm: f32, skip: u32, t: u32,
  skipped: f32, consecutive: f32, loss_bad: u32, overflow: u32,
  // Per parameter: 1 when its gradient was non-finite in a step since the last read.
  bad: array<u32>,
}

const CHUNK: u32 = 4096u;  // gradient elements per workgroup of grad_partials

fn nonfinite(x: f32) -> bool {
  // Exponent all ones: inf or NaN. A bit test, since x != x may be folded away by compilers.
  return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u;
}

fn combine(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let m = max(a.x, b.x);
  if (m == 0.0) { return vec2<f32>(0.0, 0.0); }
  let ra = a.x / m;
  let rb = b.x / m;
  return vec2<f32>(m, a.y * ra * ra + b.y * rb * rb);
}

// ---- per parameter: one partial (m, s, bad, 0) per workgroup ----------------------------------

struct PartialParams { n: u32, base: u32, _p0: u32, _p1: u32 }

@group(0) @binding(0) var<uniform> pp: PartialParams;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<vec4<f32>>;

var<workgroup> wnorm: array<vec2<f32>, 256>;
var<workgroup> wbad: array<u32, 256>;

@compute @workgroup_size(256)
fn grad_partials(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let g = wg.x + wg.y * nwg.x;
  let start = g * CHUNK;
  let end = min(start + CHUNK, pp.n);
  var acc = vec2<f32>(0.0, 0.0);
  var bad = 0u;
  for (var i = start + lid.x; i < end; i += 256u) {
    let x = grad[i];
    if (nonfinite(x)) {
      bad = 1u;
    } else {
      let a = abs(x);
      acc = combine(acc, vec2<f32>(a, select(0.0, 1.0, a > 0.0)));
    }
  }
  wnorm[lid.x] = acc;
  wbad[lid.x] = bad;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w >>= 1u) {
    if (lid.x < w) {
      wnorm[lid.x] = combine(wnorm[lid.x], wnorm[lid.x + w]);
      wbad[lid.x] = max(wbad[lid.x], wbad[lid.x + w]);
    }
    workgroupBarrier();
  }
  if (lid.x == 0u && start < pp.n) {
    partials[pp.base + g] = vec4<f32>(wnorm[0].x, wnorm[0].y, f32(wbad[0]), 0.0);
  }
}

// ---- all parameters: one workgroup folds the partials and decides the step ---------------

struct FinalParams {
  nseg: u32, has_loss: u32, _p0: u32, _p1: u32,
  // Gradients are summed micro-batch gradients times grad_scale (1/m under accumulation).
  grad_scale: f32, max_norm: f32, _p2: f32, _p3: f32,
}

@group(0) @binding(0) var<uniform> fp: FinalParams;
@group(0) @binding(1) var<storage, read> parts: array<vec4<f32>>;
// Per segment: first partial, number of partials, parameter index.
@group(0) @binding(2) var<storage, read> segs: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> loss: array<f32>;
@group(0) @binding(4) var<storage, read_write> guard: Guard;

var<workgroup> fnorm: array<vec2<f32>, 256>;
var<workgroup> fbad: array<u32, 256>;

fn segment_norm(j: u32) -> vec3<f32> {
  let sg = segs[j];
  var acc = vec2<f32>(0.0, 0.0);
  var bad = 0.0;
  for (var k = 0u; k < sg.y; k++) {
    let q = parts[sg.x + k];
    acc = combine(acc, q.xy);
    bad = max(bad, q.z);
  }
  return vec3<f32>(acc, bad);
}

// m * sqrt(s) * scale, squared, overflows f32.
fn too_large(acc: vec2<f32>, scale: f32) -> bool {
  let norm = acc.x * scale * sqrt(acc.y);
  return nonfinite(norm * norm);
}

@compute @workgroup_size(256)
fn guard_finalize(@builtin(local_invocation_id) lid: vec3<u32>) {
  var acc = vec2<f32>(0.0, 0.0);
  var bad = 0u;
  for (var j = lid.x; j < fp.nseg; j += 256u) {
    let r = segment_norm(j);
    if (r.z > 0.0) {
      guard.bad[segs[j].z] = 1u;
      bad = 1u;
    }
    acc = combine(acc, r.xy);
  }
  fnorm[lid.x] = acc;
  fbad[lid.x] = bad;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w >>= 1u) {
    if (lid.x < w) {
      fnorm[lid.x] = combine(fnorm[lid.x], fnorm[lid.x + w]);
      fbad[lid.x] = max(fbad[lid.x], fbad[lid.x + w]);
    }
    workgroupBarrier();
  }
  let total = fnorm[0];
  let scaled_max = total.x * fp.grad_scale;
  let norm = scaled_max * sqrt(total.y);
  var clip = 1.0;
  if (fp.max_norm > 0.0 && scaled_max > 0.0) {
    // torch: clip_coef = max_norm / (total_norm + 1e-6), clamped to 1. Where the norm itself
    // overflows f32 the same quotient is formed without it (eps is then negligible).
    if (nonfinite(norm)) {
      clip = min(1.0, fp.max_norm / scaled_max / sqrt(total.y));
    } else {
      clip = min(1.0, fp.max_norm / (norm + 1e-6));
    }
  }
  let large = too_large(total, fp.grad_scale * clip);
  if (large) {
    // Rare path: name the parameters whose own clipped gradient is too large.
    for (var j = lid.x; j < fp.nseg; j += 256u) {
      if (too_large(segment_norm(j).xy, fp.grad_scale * clip)) { guard.bad[segs[j].z] = 1u; }
    }
  }
  if (lid.x != 0u) { return; }
  let loss_bad = fp.has_loss != 0u && nonfinite(loss[0]);
  if (loss_bad) { guard.loss_bad = 1u; }
  let skip = loss_bad || fbad[0] != 0u || large;
  guard.norm = norm;
  guard.clip = clip;
  if (skip) {
    guard.skip = 1u;
    guard.skipped = guard.skipped + 1.0;
    guard.consecutive = guard.consecutive + 1.0;
  } else {
    guard.skip = 0u;
    guard.consecutive = 0.0;
    guard.t = guard.t + 1u;
  }
}
