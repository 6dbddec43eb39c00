// Unary elementwise ops with up to two parameters (alpha, beta) and their gradients:
// activations (leaky ReLU, ELU, softplus, exact-erf GELU), math functions with accurate f32
// versions WGSL lacks (erf, log1p, expm1), and the scalar forms of the binary ops
// (x + α, α / x, x ** α, comparisons with α, …). One thread per element.

struct Params {
  n: u32,
  code: u32,
  alpha: f32,
  beta: f32,
}

@group(0) @binding(0) var<uniform> p: Params;

fn linear(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * 256u;
}

// Built at run time: a non-finite constant expression is a shader-creation error.
fn nan_f32() -> f32 {
  return bitcast<f32>(0x7fc00000u | (p.n & 0u));
}

fn inf_f32() -> f32 {
  return bitcast<f32>(0x7f800000u | (p.n & 0u));
}

fn is_nan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

// torch.pow on reals (same as broadcast.wgsl): negative bases need integer exponents.
fn pow_f(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (a == 0.0) { return select(inf_f32(), 0.0, b > 0.0); }
  if (a > 0.0) { return pow(a, b); }
  if (b != floor(b)) { return nan_f32(); }
  let m = pow(-a, b);
  return select(m, -m, fract(b * 0.5) != 0.0);
}

// exp(-k·x²) for k = 1 or 1/2 without the rounding of x² (which costs x²·2⁻²⁴ relative):
// x = hi + lo with hi's 12 leading bits, so k·hi² is exact and the rest is small.
fn exp_neg_sq(x: f32, k: f32) -> f32 {
  let hi = bitcast<f32>(bitcast<u32>(x) & 0xfffff000u);
  return exp(-k * hi * hi) * exp(-k * (x - hi) * (x + hi));
}

// erfc(a)·exp(a²) for a in [1, 9.5] as a polynomial in t = 1 / (1 + a/2); coefficients fitted
// (iteratively reweighted least squares towards minimax) to 5e-9 relative error.
fn erfc_scaled(a: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * a);
  var q = 0.07881299958095248;
  q = q * t - 0.17804653003603577;
  q = q * t + 0.01500439798560185;
  q = q * t + 0.11339644286971742;
  q = q * t + 0.15411786908698621;
  q = q * t + 0.2541560533726684;
  q = q * t + 0.2807723516115916;
  q = q * t + 0.28222163899917446;
  q = q * t - 5.062551227266638e-06;
  return q;
}

// erf(x) to ~7e-8 absolute (about one f32 ulp). |x| < 1: x·P(x²) with P fitted to 1.2e-9
// relative, evaluated as x + x·(P − 1) so the last rounding is that of a sum with x;
// 1 ≤ |x| ≤ 4: 1 − erfc; beyond 4, erfc < 1.6e-8 is below half an ulp of 1.
fn erf_f(x: f32) -> f32 {
  let a = abs(x);
  if (a < 1.0) {
    let z = x * x;
    var r = 7.853881349165204e-05;
    r = r * z - 0.0008010200463028083;
    r = r * z + 0.0051883285852163535;
    r = r * z - 0.026853812503764563;
    r = r * z + 0.11283585166112911;
    r = r * z - 0.3761262582654976;
    r = r * z + 0.1283791657275888;
    return x + x * r;
  }
  var r = 1.0;
  if (a <= 4.0) { r = 1.0 - exp_neg_sq(a, 1.0) * erfc_scaled(a); }
  return select(-r, r, x > 0.0);
}

const FRAC_1_SQRT_2: f32 = 0.7071067811865476;
const INV_SQRT_2PI: f32 = 0.3989422804014327;
const TWO_OVER_SQRT_PI: f32 = 1.1283791670955126;

// Standard normal CDF Φ(x) = (1 + erf(x/√2)) / 2; the lower tail comes from erfc directly,
// so Φ keeps its relative accuracy (~4e-7) down to x ≈ -12 instead of cancelling.
fn normal_cdf(x: f32) -> f32 {
  let z = x * FRAC_1_SQRT_2;
  if (z < -1.0) {
    if (z < -9.5) { return 0.0; }
    return 0.5 * exp_neg_sq(x, 0.5) * erfc_scaled(-z);
  }
  return 0.5 * (1.0 + erf_f(z));
}

// log(1 + x) accurate for small x, where log(1.0 + x) loses x's low bits (and GPU log is
// only accurate to ~2⁻²¹ absolute near 1). m·2ᵉ = 1 + x with m in [√½, √2), then
// log m = 2·atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.172, series to s¹¹ (error < 1e-10).
fn log1p_f(x: f32) -> f32 {
  if (x < -1.0 || is_nan(x)) { return nan_f32(); }
  if (x == -1.0) { return -inf_f32(); }
  if (x > 1e30) { return log(x); }
  let u = 1.0 + x;
  var s: f32;
  var e = 0.0;
  var corr = 0.0;
  if (u > 0.70710677 && u < 1.4142135) {
    s = x / (2.0 + x);
  } else {
    let fe = frexp(u);
    var m = fe.fract;
    e = f32(fe.exp);
    if (m < 0.70710677) { m = 2.0 * m; e = e - 1.0; }
    s = (m - 1.0) / (m + 1.0);
    // 1 + x rounded to u: add back log(1 + (1 + x − u)/u) ≈ (1 + x − u)/u.
    corr = select(x - (u - 1.0), 1.0 - (u - x), u > 2.0) / u;
  }
  let s2 = s * s;
  var r = 1.0 / 11.0;
  r = r * s2 + 1.0 / 9.0;
  r = r * s2 + 1.0 / 7.0;
  r = r * s2 + 1.0 / 5.0;
  r = r * s2 + 1.0 / 3.0;
  let logm = 2.0 * s + 2.0 * s * s2 * r;
  // ln 2 split so e·LN2_HI is exact.
  return e * 0.693145751953125 + (logm + (e * 1.4286068203094172e-06 + corr));
}

// exp(x) − 1 without cancellation near 0 (Taylor to x⁸: error < 1e-9 relative for |x| < 0.35).
fn expm1_f(x: f32) -> f32 {
  if (abs(x) >= 0.35) { return exp(x) - 1.0; }
  var r = 1.0 / 40320.0;
  r = r * x + 1.0 / 5040.0;
  r = r * x + 1.0 / 720.0;
  r = r * x + 1.0 / 120.0;
  r = r * x + 1.0 / 24.0;
  r = r * x + 1.0 / 6.0;
  r = r * x + 0.5;
  return x + x * x * r;
}

fn tie_split(x: f32, a: f32, greater: bool) -> f32 {
  if (x == a) { return 0.5; }
  return select(0.0, 1.0, (x > a) == greater);
}

fn b2f(c: bool) -> f32 {
  return select(0.0, 1.0, c);
}

fn unary(code: u32, x: f32, al: f32, be: f32) -> f32 {
  switch code {
    case 0u: { return -x; }
    case 1u: { return abs(x); }
    case 2u: { return sqrt(x); }
    case 3u: { return inverseSqrt(x); }
    case 4u: { return x * x; }
    case 5u: { return log1p_f(x); }
    case 6u: { return select(al * x, x, x > 0.0); }
    case 7u: { return select(al * expm1_f(x), x, x > 0.0); }
    case 8u: {
      // softplus, beta = al, threshold = be: linear above the threshold, as torch.
      let bx = al * x;
      if (bx > be) { return x; }
      return log1p_f(exp(bx)) / al;
    }
    case 9u: { return x * normal_cdf(x); }
    case 10u: { return x + al; }
    case 11u: { return al - x; }
    case 12u: { return x / al; }
    case 13u: { return al / x; }
    case 14u: { return pow_f(x, al); }
    case 15u: { return pow_f(al, x); }
    case 16u: { return select(max(x, al), x + al, is_nan(x)); }
    case 17u: { return select(min(x, al), x + al, is_nan(x)); }
    case 18u: { return b2f(x == al); }
    case 19u: { return b2f(x != al); }
    case 20u: { return b2f(x < al); }
    case 21u: { return b2f(x <= al); }
    case 22u: { return b2f(x > al); }
    case 23u: { return b2f(x >= al); }
    case 24u: { return expm1_f(x); }
    case 25u: { return erf_f(x); }
    default: { return x; }
  }
}

// d unary(x) / dx, given x and y = unary(x).
fn unary_grad(code: u32, x: f32, y: f32, al: f32, be: f32) -> f32 {
  switch code {
    case 0u: { return -1.0; }
    case 1u: { return sign(x); }
    case 2u: { return 0.5 / y; }
    case 3u: { return -0.5 * y * y * y; }
    case 4u: { return 2.0 * x; }
    case 5u: { return 1.0 / (1.0 + x); }
    case 6u: { return select(al, 1.0, x > 0.0); }
    case 7u: { return select(al * exp(x), 1.0, x > 0.0); }
    case 8u: {
      let bx = al * x;
      if (bx > be) { return 1.0; }
      return 1.0 / (1.0 + exp(-bx));
    }
    case 9u: { return normal_cdf(x) + x * exp_neg_sq(x, 0.5) * INV_SQRT_2PI; }
    case 10u: { return 1.0; }
    case 11u: { return -1.0; }
    case 12u: { return 1.0 / al; }
    case 13u: { return -y / x; }
    case 14u: {
      if (al == 0.0) { return 0.0; }
      return al * pow_f(x, al - 1.0);
    }
    case 15u: {
      if (al > 0.0) { return y * log(al); }
      if (al == 0.0 && x >= 0.0) { return 0.0; }
      return nan_f32();
    }
    case 16u: { return tie_split(x, al, true); }
    case 17u: { return tie_split(x, al, false); }
    case 24u: { return y + 1.0; }
    case 25u: { return TWO_OVER_SQRT_PI * exp_neg_sq(x, 1.0); }
    default: { return 0.0; }
  }
}

@group(0) @binding(1) var<storage, read> ux: array<f32>;
@group(0) @binding(2) var<storage, read_write> uy: array<f32>;

@compute @workgroup_size(256)
fn unary_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear(gid, nwg);
  if (i >= p.n) { return; }
  uy[i] = unary(p.code, ux[i], p.alpha, p.beta);
}

@group(0) @binding(1) var<storage, read> bx: array<f32>;
@group(0) @binding(2) var<storage, read> by: array<f32>;
@group(0) @binding(3) var<storage, read> bdy: array<f32>;
@group(0) @binding(4) var<storage, read_write> bdx: array<f32>;

@compute @workgroup_size(256)
fn unary_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear(gid, nwg);
  if (i >= p.n) { return; }
  bdx[i] = bdy[i] * unary_grad(p.code, bx[i], by[i], p.alpha, p.beta);
}
