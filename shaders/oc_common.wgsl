// Object condensation: declarations shared by oc_loss.wgsl, oc_repulsive.wgsl and oc_dense.wgsl
// (src/losses/oc/kernels.ts prepends this file to each). Every OC kernel reads the uniform
// block and the packed event layout (binding 1), built once per batch on the host.

struct Params {
  n: u32, d: u32, k: u32, e: u32,            // hits, latent dims, objects, events
  q_min: f32, flags: u32, seed: u32, max_n_rep: u32,
  chunk: u32, chunks: u32, e_noise: u32, _p0: u32,  // e_noise: events that have noise hits
  // offsets of the sections of `lay` (see src/losses/oc/layout.ts)
  o_hit_obj: u32, o_hit_event: u32, o_event_hits: u32, o_event_objs: u32,
  o_obj_offsets: u32, o_members: u32, o_fallback: u32, o_event_noise: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> lay: array<u32>;

// The largest f32 below 1. |beta| is clamped to it before artanh: only beta = ±1 exactly
// (where upstream's q is infinite and its loss NaN) is affected for f32 inputs.
const BETA_MAX: f32 = 0.99999994;
const EPS: f32 = 1e-9;           // upstream's guard in the per-object normalisations
const MAXD: u32 = 32u;           // latent dims held in registers / workgroup tiles
const TILE: u32 = 64u;           // condensation points per workgroup tile

const F_WEIGHTS: u32 = 1u;       // per-hit weights bound (else all ones)
const F_ATTRACTIVE: u32 = 2u;    // attractive term computed per object via CSR (fused path)
const F_SAMPLE: u32 = 4u;        // tiger max_n_rep sampling of repulsive pairs
const F_REP_PER_HIT: u32 = 8u;   // repulsive partial sums are per hit (fused) not per object

fn hit_obj(j: u32) -> i32 { return bitcast<i32>(lay[p.o_hit_obj + j]); }
fn hit_event(j: u32) -> u32 { return lay[p.o_hit_event + j]; }
fn ev_hit_start(e: u32) -> u32 { return lay[p.o_event_hits + e]; }
fn ev_hit_end(e: u32) -> u32 { return lay[p.o_event_hits + e + 1u]; }
fn ev_obj_start(e: u32) -> u32 { return lay[p.o_event_objs + e]; }
fn ev_obj_end(e: u32) -> u32 { return lay[p.o_event_objs + e + 1u]; }
fn ev_noise(e: u32) -> u32 { return lay[p.o_event_noise + e]; }
fn obj_start(k: u32) -> u32 { return lay[p.o_obj_offsets + k]; }
fn obj_end(k: u32) -> u32 { return lay[p.o_obj_offsets + k + 1u]; }
fn member(i: u32) -> u32 { return lay[p.o_members + i]; }
fn obj_fallback(k: u32) -> i32 { return bitcast<i32>(lay[p.o_fallback + k]); }
// An object's event: the event of its first member (objects are never empty).
fn obj_event(k: u32) -> u32 { return hit_event(member(obj_start(k))); }
fn obj_size(k: u32) -> f32 { return f32(obj_end(k) - obj_start(k)); }
fn ev_objects(e: u32) -> f32 { return f32(ev_obj_end(e) - ev_obj_start(e)); }
fn ev_hits(e: u32) -> f32 { return f32(ev_hit_end(e) - ev_hit_start(e)); }

// log(1 + x) without cancellation for small x (WGSL has no log1p).
fn log1p_f(x: f32) -> f32 {
  let u = 1.0 + x;
  if (u == 1.0) { return x; }
  return log(u) * x / (u - 1.0);
}

fn artanh_f(b: f32) -> f32 { return 0.5 * log1p_f(2.0 * b / (1.0 - b)); }

// q = artanh(beta)^2 + q_min with beta clamped to ±BETA_MAX.
fn charge(beta: f32) -> f32 {
  let a = artanh_f(clamp(beta, -BETA_MAX, BETA_MAX));
  return a * a + p.q_min;
}

// dq/dbeta; zero where the clamp is active.
fn charge_grad(beta: f32) -> f32 {
  if (abs(beta) > BETA_MAX) { return 0.0; }
  return 2.0 * artanh_f(beta) / ((1.0 - beta) * (1.0 + beta));
}

// Integer hash (PCG output permutation); mirrored in src/losses/oc/sampling.ts.
fn hash_u32(v: u32) -> u32 {
  let s = v * 747796405u + 2891336453u;
  let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
  return (w >> 22u) ^ w;
}

// Uniform in [0, 1) on a 2^-24 grid for the pair (hit j, object k).
fn pair_uniform(j: u32, k: u32) -> f32 {
  let h = hash_u32(p.seed ^ hash_u32(k ^ hash_u32(j)));
  return f32(h >> 8u) * (1.0 / 16777216.0);
}
