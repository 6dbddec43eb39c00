// Assignment cross-entropy for jet-parton assignment, minimised over the event-level
// permutation group (t1 ↔ t2). For each of G group elements σ, targets[σ, b, p] is the flat
// index (into particle p's N^k space) of the jets that particle p would be matched to
// under σ, or -1 when the truth is incomplete (masked). Per event
//   nll_σ(b) = -Σ_p logp_p[b, targets[σ, b, p]]     over unmasked p
//   loss     = Σ_b min_σ nll_σ(b) / #{events with any unmasked particle}
// Particles have different N^k, so a gather pass runs once per particle (its log-probs
// bound alone) and writes into nll [G, B, P]; then one pass per event takes the minimum.

struct Params { B: u32, P: u32, G: u32, S: u32, particle: u32, _p0: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<uniform> p: Params;

fn linear_id(gid: vec3<u32>, nwg: vec3<u32>) -> u32 { return gid.x + gid.y * nwg.x * 64u; }

// ---- per particle: nll[σ, b, particle] ---------------------------------------------------
@group(0) @binding(1) var<storage, read> targets: array<i32>;
@group(0) @binding(2) var<storage, read> logp: array<f32>;     // [B, S] of this particle
@group(0) @binding(3) var<storage, read_write> nll: array<f32>; // [G, B, P]

@compute @workgroup_size(64)
fn gather_nll(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = linear_id(gid, nwg);               // id = σ * B + b
  if (id >= p.G * p.B) { return; }
  let b = id % p.B;
  let slot = id * p.P + p.particle;
  let t = targets[slot];
  nll[slot] = select(0.0, -logp[b * p.S + u32(max(t, 0))], t >= 0);
}

// ---- per event: best σ, its nll, and whether the event counts ---------------------------
@group(0) @binding(1) var<storage, read> eTargets: array<i32>;
@group(0) @binding(2) var<storage, read> eNll: array<f32>;
@group(0) @binding(3) var<storage, read_write> rows: array<f32>;   // [2, B]: nll, weight
@group(0) @binding(4) var<storage, read_write> choice: array<u32>; // [B]: best σ

@compute @workgroup_size(64)
fn event_min(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = linear_id(gid, nwg);
  if (b >= p.B) { return; }
  var best = 0.0;
  var bestG = 0u;
  var counted = false;
  for (var g = 0u; g < p.G; g++) {
    var s = 0.0;
    for (var q = 0u; q < p.P; q++) {
      let slot = (g * p.B + b) * p.P + q;
      s += eNll[slot];
      if (eTargets[slot] >= 0) { counted = true; }
    }
    if (g == 0u || s < best) { best = s; bestG = g; }
  }
  rows[b] = select(0.0, best, counted);
  rows[p.B + b] = select(0.0, 1.0, counted);
  choice[b] = bestG;
}

@group(0) @binding(1) var<storage, read> sums: array<f32>;
@group(0) @binding(2) var<storage, read_write> lossOut: array<f32>;

@compute @workgroup_size(1)
fn ratio() {
  lossOut[0] = select(0.0, sums[0] / sums[1], sums[1] > 0.0);
}

// ---- backward, per particle: d logp[b, s] = -g / count at the chosen σ's target ---------
@group(0) @binding(1) var<storage, read> bTargets: array<i32>;
@group(0) @binding(2) var<storage, read> bChoice: array<u32>;
@group(0) @binding(3) var<storage, read> bSums: array<f32>;
@group(0) @binding(4) var<storage, read> bGout: array<f32>;
@group(0) @binding(5) var<storage, read_write> dLogp: array<f32>;  // [B, S]

@compute @workgroup_size(64)
fn nll_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = linear_id(gid, nwg);
  if (id >= p.B * p.S) { return; }
  let b = id / p.S;
  let s = id % p.S;
  let t = bTargets[(bChoice[b] * p.B + b) * p.P + p.particle];
  let count = bSums[1];
  dLogp[id] = select(0.0, -bGout[0] / count, t >= 0 && u32(t) == s && count > 0.0);
}

// ---- batch accuracy metric (not differentiable) -----------------------------------------
// A particle counts as correct when its target's probability is the row maximum: the
// distribution is symmetric under product swaps, so any ordering of the same jets ties.
@group(0) @binding(1) var<storage, read> aTargets: array<i32>;
@group(0) @binding(2) var<storage, read> aLogp: array<f32>;
@group(0) @binding(3) var<storage, read_write> hit: array<f32>;   // [G, B, P]: 1 hit, 0 miss

@compute @workgroup_size(64)
fn gather_hits(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = linear_id(gid, nwg);
  if (id >= p.G * p.B) { return; }
  let b = id % p.B;
  let slot = id * p.P + p.particle;
  let t = aTargets[slot];
  if (t < 0) { hit[slot] = 0.0; return; }
  var m = aLogp[b * p.S];
  for (var s = 1u; s < p.S; s++) { m = max(m, aLogp[b * p.S + s]); }
  hit[slot] = select(0.0, 1.0, aLogp[b * p.S + u32(t)] >= m);
}

@group(0) @binding(1) var<storage, read> hTargets: array<i32>;
@group(0) @binding(2) var<storage, read> hHit: array<f32>;
@group(0) @binding(3) var<storage, read_write> hRows: array<f32>;  // [2, B]: hits, particles

@compute @workgroup_size(64)
fn event_hits(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = linear_id(gid, nwg);
  if (b >= p.B) { return; }
  var best = 0.0;
  var valid = 0.0;
  for (var g = 0u; g < p.G; g++) {
    var s = 0.0;
    var v = 0.0;
    for (var q = 0u; q < p.P; q++) {
      let slot = (g * p.B + b) * p.P + q;
      s += hHit[slot];
      v += select(0.0, 1.0, hTargets[slot] >= 0);
    }
    best = max(best, s);
    valid = v;
  }
  hRows[b] = best;
  hRows[p.B + b] = valid;
}
