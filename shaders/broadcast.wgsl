// Broadcasting elementwise kernels: binary ops and comparisons, their per-element partial
// derivatives, where / maskedFill and their gradient masks. One thread per output element;
// the output's (collapsed) shape and each operand's strides (0 on broadcast axes) come in
// the uniform block, rank ≤ 6. Gradients of broadcast operands are summed afterwards by the
// reduction kernels (reduce.wgsl), so nothing here needs atomics.

struct Geo {
  n: u32,      // output elements
  code: u32,   // which op (binary) / whether `a` is the constant alpha (where)
  rank: u32,
  flags: u32,  // bit 0: cond holds f32 values; bit 1: partial w.r.t. the second operand
  alpha: f32,  // maskedFill value
  _p0: u32, _p1: u32, _p2: u32,
  shape: array<vec4<u32>, 2>,
  s0: array<vec4<u32>, 2>,
  s1: array<vec4<u32>, 2>,
  s2: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Geo;

fn linear(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * 256u;
}

// Element offsets of the three operands for output element i.
fn offsets(i: u32) -> vec3<u32> {
  var rem = i;
  var o = vec3<u32>(0u);
  for (var k = i32(p.rank) - 1; k >= 0; k--) {
    let q = u32(k) / 4u;
    let r = u32(k) % 4u;
    let d = p.shape[q][r];
    let c = rem % d;
    rem = rem / d;
    o += c * vec3<u32>(p.s0[q][r], p.s1[q][r], p.s2[q][r]);
  }
  return o;
}

// Built at run time: a non-finite constant expression is a shader-creation error.
fn nan_f32() -> f32 {
  return bitcast<f32>(0x7fc00000u | (p.flags & 0u));
}

fn inf_f32() -> f32 {
  return bitcast<f32>(0x7f800000u | (p.flags & 0u));
}

fn is_nan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

// torch.pow semantics on reals: negative bases with integer exponents keep their sign.
fn pow_f(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (a == 0.0) { return select(inf_f32(), 0.0, b > 0.0); }
  if (a > 0.0) { return pow(a, b); }
  if (b != floor(b)) { return nan_f32(); }
  let m = pow(-a, b);
  return select(m, -m, fract(b * 0.5) != 0.0);
}

fn binary(code: u32, a: f32, b: f32) -> f32 {
  switch code {
    case 0u: { return a + b; }
    case 1u: { return a - b; }
    case 2u: { return a * b; }
    case 3u: { return a / b; }
    case 4u: { return pow_f(a, b); }
    case 5u: { return select(max(a, b), a + b, is_nan(a) || is_nan(b)); }
    case 6u: { return select(min(a, b), a + b, is_nan(a) || is_nan(b)); }
    case 7u: { return select(0.0, 1.0, a == b); }
    case 8u: { return select(0.0, 1.0, a != b); }
    case 9u: { return select(0.0, 1.0, a < b); }
    case 10u: { return select(0.0, 1.0, a <= b); }
    case 11u: { return select(0.0, 1.0, a > b); }
    case 12u: { return select(0.0, 1.0, a >= b); }
    default: { return 0.0; }
  }
}

// ∂ binary(a, b) / ∂a (wrt_b false) or ∂b. maximum/minimum split ties equally (as torch).
fn partial(code: u32, a: f32, b: f32, wrt_b: bool) -> f32 {
  switch code {
    case 0u: { return 1.0; }
    case 1u: { return select(1.0, -1.0, wrt_b); }
    case 2u: { return select(b, a, wrt_b); }
    case 3u: {
      if (wrt_b) { return -(a / b) / b; }
      return 1.0 / b;
    }
    case 4u: {
      if (!wrt_b) {
        if (b == 0.0) { return 0.0; }
        return b * pow_f(a, b - 1.0);
      }
      if (a > 0.0) { return pow_f(a, b) * log(a); }
      if (a == 0.0 && b >= 0.0) { return 0.0; }
      return nan_f32();
    }
    case 5u, 6u: {
      if (a == b) { return 0.5; }
      let first_wins = (a > b) == (code == 5u);
      return select(0.0, 1.0, first_wins != wrt_b);
    }
    default: { return 0.0; }
  }
}

@group(0) @binding(1) var<storage, read> fa: array<f32>;
@group(0) @binding(2) var<storage, read> fb: array<f32>;
@group(0) @binding(3) var<storage, read_write> fc: array<f32>;

@compute @workgroup_size(256)
fn binary_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear(gid, nwg);
  if (i >= p.n) { return; }
  let o = offsets(i);
  fc[i] = binary(p.code, fa[o.x], fb[o.y]);
}

@group(0) @binding(1) var<storage, read> pa: array<f32>;
@group(0) @binding(2) var<storage, read> pb: array<f32>;
@group(0) @binding(3) var<storage, read> pdc: array<f32>;
@group(0) @binding(4) var<storage, read_write> pout: array<f32>;

// pout = dc · ∂c/∂(a or b), in the output's shape (summed to the operand's shape after).
@compute @workgroup_size(256)
fn binary_partial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear(gid, nwg);
  if (i >= p.n) { return; }
  let o = offsets(i);
  pout[i] = pdc[i] * partial(p.code, pa[o.x], pb[o.y], (p.flags & 2u) != 0u);
}

// Nonzero is true. For f32 conditions that excludes -0.0 too (and keeps NaN true, as torch's
// bool conversion), tested on the bits so no float comparison is involved.
fn truthy(bits: u32) -> bool {
  let mask = select(0xffffffffu, 0x7fffffffu, (p.flags & 1u) != 0u);
  return (bits & mask) != 0u;
}

@group(0) @binding(1) var<storage, read> wcond: array<u32>;
@group(0) @binding(2) var<storage, read> wa: array<f32>;
@group(0) @binding(3) var<storage, read> wb: array<f32>;
@group(0) @binding(4) var<storage, read_write> wout: array<f32>;

// code 0: where(cond, a, b); code 1: a is the constant alpha (maskedFill, `wa` unused).
@compute @workgroup_size(256)
fn where_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear(gid, nwg);
  if (i >= p.n) { return; }
  let o = offsets(i);
  if (truthy(wcond[o.x])) {
    wout[i] = select(wa[o.y], p.alpha, p.code == 1u);
  } else {
    wout[i] = wb[o.z];
  }
}

@group(0) @binding(1) var<storage, read> mcond: array<u32>;
@group(0) @binding(2) var<storage, read> mdy: array<f32>;
@group(0) @binding(3) var<storage, read_write> mout: array<f32>;

// dy where cond holds (flags bit 1 clear) or where it does not (set); 0 elsewhere.
@compute @workgroup_size(256)
fn where_partial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear(gid, nwg);
  if (i >= p.n) { return; }
  let o = offsets(i);
  let keep = truthy(mcond[o.x]) != ((p.flags & 2u) != 0u);
  mout[i] = select(0.0, mdy[i], keep);
}
