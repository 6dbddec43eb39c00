// Object condensation: per-object work over the CSR member lists (condensation point,
// attractive term, coward term), per-event sums, and the gradient assembly. The repulsive
// term lives in oc_repulsive.wgsl (fused) and oc_dense.wgsl (N×K matrices).
// Prefixed with oc_common.wgsl.

// ---- forward: one thread per object ---------------------------------------------------
@group(0) @binding(2) var<storage, read> ob_beta: array<f32>;
@group(0) @binding(3) var<storage, read> ob_x: array<f32>;
@group(0) @binding(4) var<storage, read> ob_w: array<f32>;
@group(0) @binding(5) var<storage, read_write> ob_alpha: array<u32>;   // [K]
@group(0) @binding(6) var<storage, read_write> ob_cp: array<f32>;      // [K, D+1]: x_alpha, q_alpha
@group(0) @binding(7) var<storage, read_write> ob_terms: array<f32>;   // [K, 3]: att_k, rep_k, coward_k

fn ob_weight(j: u32) -> f32 {
  if ((p.flags & F_WEIGHTS) != 0u) { return ob_w[j]; }
  return 1.0;
}

// Condensation point = upstream's argmax over all hits of q_j·[j in k] (first index wins):
// normally the first member of maximal q; when that maximum is ≤ 0 (q_min ≤ 0) the zeros of
// the non-members take part, and `fallback` is the event's first non-member.
@compute @workgroup_size(64)
fn oc_objects(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = gid.x + gid.y * nwg.x * 64u;
  if (k >= p.k) { return; }
  let s = obj_start(k);
  let t = obj_end(k);
  var best = member(s);
  var qbest = charge(ob_beta[best]);
  for (var i = s + 1u; i < t; i++) {
    let j = member(i);
    let qj = charge(ob_beta[j]);
    if (qj > qbest) { best = j; qbest = qj; }
  }
  let fb = obj_fallback(k);
  if (fb >= 0 && qbest <= 0.0) {
    if (qbest < 0.0 || u32(fb) < best) { best = u32(fb); }
  }
  let a = best;
  let qa = charge(ob_beta[a]);
  ob_alpha[k] = a;
  let D = p.d;
  for (var c = 0u; c < D; c++) { ob_cp[k * (D + 1u) + c] = ob_x[a * D + c]; }
  ob_cp[k * (D + 1u) + D] = qa;
  var att = 0.0;
  if ((p.flags & F_ATTRACTIVE) != 0u) {
    for (var i = s; i < t; i++) {
      let j = member(i);
      var d2 = 0.0;
      for (var c = 0u; c < D; c++) {
        let dd = ob_x[j * D + c] - ob_x[a * D + c];
        d2 += dd * dd;
      }
      att += ob_weight(j) * charge(ob_beta[j]) * d2;
    }
    att = att * qa / (obj_size(k) + EPS);
  }
  ob_terms[k * 3u] = att;
  ob_terms[k * 3u + 2u] = 1.0 - ob_beta[a];
}

// ---- forward: per-event sums, one workgroup per event -----------------------------------
@group(0) @binding(2) var<storage, read> ev_beta: array<f32>;
@group(0) @binding(3) var<storage, read> ev_terms: array<f32>;    // [K, 3]
@group(0) @binding(4) var<storage, read> ev_hit_rep: array<f32>;  // [N] (fused path)
@group(0) @binding(5) var<storage, read_write> ev_out: array<f32>; // [E, 4]: att, rep, coward, noise sum

var<workgroup> ev_part: array<vec4<f32>, 64>;

@compute @workgroup_size(64)
fn oc_event_terms(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                  @builtin(local_invocation_id) lid: vec3<u32>) {
  let e = wg.x + wg.y * nwg.x;
  if (e >= p.e) { return; }  // uniform per workgroup
  let per_hit = (p.flags & F_REP_PER_HIT) != 0u;
  var acc = vec4<f32>(0.0);
  for (var k = ev_obj_start(e) + lid.x; k < ev_obj_end(e); k += 64u) {
    acc.x += ev_terms[k * 3u];
    if (!per_hit) { acc.y += ev_terms[k * 3u + 1u]; }
    acc.z += ev_terms[k * 3u + 2u];
  }
  for (var j = ev_hit_start(e) + lid.x; j < ev_hit_end(e); j += 64u) {
    if (per_hit) { acc.y += ev_hit_rep[j]; }
    if (hit_obj(j) < 0) { acc.w += ev_beta[j]; }
  }
  ev_part[lid.x] = acc;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (lid.x < s) { ev_part[lid.x] += ev_part[lid.x + s]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    let r = ev_part[0];
    let kinv = 1.0 / ev_objects(e);
    ev_out[e * 4u] = r.x * kinv;
    ev_out[e * 4u + 1u] = r.y * kinv;
    ev_out[e * 4u + 2u] = r.z * kinv;
    ev_out[e * 4u + 3u] = r.w;
  }
}

// ---- forward: mean over events into the [4] output ---------------------------------------
@group(0) @binding(2) var<storage, read> fin_ev: array<f32>;           // [E, 4]
@group(0) @binding(3) var<storage, read_write> fin_out: array<u32>;    // [4] f32 bits

// Noise: mean over the events that have noise hits; with none it is NaN, as upstream's mean
// over an empty selection. Written as bits because WGSL may not preserve NaN arithmetic.
@compute @workgroup_size(1)
fn oc_finalize() {
  var s = vec3<f32>(0.0);
  var noise = 0.0;
  for (var e = 0u; e < p.e; e++) {
    s += vec3<f32>(fin_ev[e * 4u], fin_ev[e * 4u + 1u], fin_ev[e * 4u + 2u]);
    let nb = ev_noise(e);
    if (nb > 0u) { noise += fin_ev[e * 4u + 3u] / f32(nb); }
  }
  let inv = 1.0 / f32(p.e);
  fin_out[0] = bitcast<u32>(s.x * inv);
  fin_out[1] = bitcast<u32>(s.y * inv);
  fin_out[2] = bitcast<u32>(s.z * inv);
  if (p.e_noise > 0u) { fin_out[3] = bitcast<u32>(noise / f32(p.e_noise)); } else { fin_out[3] = 0x7fc00000u; }
}

// ---- backward: per object (attractive members + condensation-point partials) --------------
@group(0) @binding(2) var<storage, read> ab_beta: array<f32>;
@group(0) @binding(3) var<storage, read> ab_x: array<f32>;
@group(0) @binding(4) var<storage, read> ab_w: array<f32>;
@group(0) @binding(5) var<storage, read> ab_alpha: array<u32>;
@group(0) @binding(6) var<storage, read> ab_g: array<f32>;              // d loss / d [att, rep, cow, noise]
@group(0) @binding(7) var<storage, read_write> ab_dx: array<f32>;       // [N, D] accumulated
@group(0) @binding(8) var<storage, read_write> ab_dq: array<f32>;       // [N] accumulated
@group(0) @binding(9) var<storage, read_write> ab_cp: array<f32>;       // [K, D+2]: dx_alpha, dq_alpha, dbeta_alpha

fn ab_weight(j: u32) -> f32 {
  if ((p.flags & F_WEIGHTS) != 0u) { return ab_w[j]; }
  return 1.0;
}

// Each hit is a member of one object, so a thread may update its members' rows in place;
// the condensation point's share goes to ab_cp and is scattered by oc_scatter_cp.
@compute @workgroup_size(64)
fn oc_objects_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = gid.x + gid.y * nwg.x * 64u;
  if (k >= p.k) { return; }
  let D = p.d;
  let a = ab_alpha[k];
  let e = obj_event(k);
  let ke = ev_objects(e) * f32(p.e);
  let o = k * (D + 2u);
  for (var c = 0u; c < D; c++) { ab_cp[o + c] = 0.0; }
  var dqa = 0.0;
  if ((p.flags & F_ATTRACTIVE) != 0u) {
    let qa = charge(ab_beta[a]);
    let ga = ab_g[0] / (ke * (obj_size(k) + EPS));
    for (var i = obj_start(k); i < obj_end(k); i++) {
      let j = member(i);
      let wj = ab_weight(j);
      let qj = charge(ab_beta[j]);
      var d2 = 0.0;
      for (var c = 0u; c < D; c++) {
        let dd = ab_x[j * D + c] - ab_x[a * D + c];
        d2 += dd * dd;
        let gx = ga * wj * qj * qa * 2.0 * dd;
        ab_dx[j * D + c] += gx;
        ab_cp[o + c] -= gx;
      }
      ab_dq[j] += ga * wj * qa * d2;
      dqa += ga * wj * qj * d2;
    }
  }
  ab_cp[o + D] = dqa;
  ab_cp[o + D + 1u] = -ab_g[2] / ke;
}

// ---- backward: condensation-point gradients onto their hits, one thread per event --------
@group(0) @binding(2) var<storage, read> sc_alpha: array<u32>;
@group(0) @binding(3) var<storage, read> sc_cp: array<f32>;        // [K, D+2] from oc_objects_backward
@group(0) @binding(4) var<storage, read> sc_rep: array<f32>;       // [K, D+1] pair terms (repulsive / dense)
@group(0) @binding(5) var<storage, read_write> sc_dx: array<f32>;
@group(0) @binding(6) var<storage, read_write> sc_dq: array<f32>;
@group(0) @binding(7) var<storage, read_write> sc_db: array<f32>;

// Serial over an event's objects: condensation points may coincide (q_min ≤ 0 fallback).
@compute @workgroup_size(64)
fn oc_scatter_cp(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = gid.x + gid.y * nwg.x * 64u;
  if (e >= p.e) { return; }
  let D = p.d;
  for (var k = ev_obj_start(e); k < ev_obj_end(e); k++) {
    let a = sc_alpha[k];
    for (var c = 0u; c < D; c++) {
      sc_dx[a * D + c] += sc_cp[k * (D + 2u) + c] + sc_rep[k * (D + 1u) + c];
    }
    sc_dq[a] += sc_cp[k * (D + 2u) + D] + sc_rep[k * (D + 1u) + D];
    sc_db[a] += sc_cp[k * (D + 2u) + D + 1u];
  }
}

// ---- backward: chain rule through q(beta), plus the noise term --------------------------
@group(0) @binding(2) var<storage, read> bg_beta: array<f32>;
@group(0) @binding(3) var<storage, read> bg_g: array<f32>;
@group(0) @binding(4) var<storage, read> bg_dq: array<f32>;
@group(0) @binding(5) var<storage, read_write> bg_db: array<f32>;  // in: coward terms; out: d/dbeta

@compute @workgroup_size(256)
fn oc_beta_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let j = gid.x + gid.y * nwg.x * 256u;
  if (j >= p.n) { return; }
  var db = bg_db[j] + bg_dq[j] * charge_grad(bg_beta[j]);
  if (hit_obj(j) < 0) { db += bg_g[3] / (f32(p.e_noise) * f32(ev_noise(hit_event(j)))); }
  bg_db[j] = db;
}

// ---- n_rep: exact u32 sum of per-hit pair counts (one workgroup, no atomics) ----------------
@group(0) @binding(2) var<storage, read> cs_counts: array<u32>;
@group(0) @binding(3) var<storage, read_write> cs_out: array<u32>;

var<workgroup> cs_part: array<u32, 256>;

@compute @workgroup_size(256)
fn oc_count_sum(@builtin(local_invocation_id) lid: vec3<u32>) {
  var s = 0u;
  for (var j = lid.x; j < p.n; j += 256u) { s += cs_counts[j]; }
  cs_part[lid.x] = s;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w >>= 1u) {
    if (lid.x < w) { cs_part[lid.x] += cs_part[lid.x + w]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { cs_out[0] = cs_part[0] + 0u * lay[0]; }
}

// ---- weighted sum of the [4] loss terms (and its backward) -------------------------------
// Terms with a zero coefficient are skipped, not multiplied: the noise term may be NaN.
struct Coeffs { c: vec4<f32> }
@group(0) @binding(0) var<uniform> cm: Coeffs;
@group(0) @binding(1) var<storage, read> cm_terms: array<f32>;
@group(0) @binding(2) var<storage, read_write> cm_out: array<f32>;

@compute @workgroup_size(1)
fn oc_combine() {
  var s = 0.0;
  for (var i = 0u; i < 4u; i++) {
    if (cm.c[i] != 0.0) { s += cm.c[i] * cm_terms[i]; }
  }
  cm_out[0] = s;
}

@group(0) @binding(1) var<storage, read> cmb_g: array<f32>;
@group(0) @binding(2) var<storage, read_write> cmb_dterms: array<f32>;

@compute @workgroup_size(4)
fn oc_combine_backward(@builtin(local_invocation_id) lid: vec3<u32>) {
  cmb_dterms[lid.x] = cm.c[lid.x] * cmb_g[0];
}
