// Running statistics of upstream SPANet's MaskedBatchNorm (train mode): the first tracked batch
// replaces them (counter 0), later ones move them by momentum as torch computes
// (1 - m)·running + m·batch in f32; mbn_count then counts the batch. Two dispatches, because
// every thread of the update must read the counter before it changes.

struct Params { d: u32, keep: f32, momentum: f32, pad: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> batch_mean: array<f32>;
@group(0) @binding(2) var<storage, read> batch_var: array<f32>;
@group(0) @binding(3) var<storage, read_write> run_mean: array<f32>;
@group(0) @binding(4) var<storage, read_write> run_var: array<f32>;
@group(0) @binding(5) var<storage, read> count: array<i32>;

@compute @workgroup_size(64)
fn mbn_running_update(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.d) {
    return;
  }
  if (count[0] == 0) {
    run_mean[i] = batch_mean[i];
    run_var[i] = batch_var[i];
    return;
  }
  run_mean[i] = p.keep * run_mean[i] + p.momentum * batch_mean[i];
  run_var[i] = p.keep * run_var[i] + p.momentum * batch_var[i];
}

@group(0) @binding(1) var<storage, read_write> counter: array<i32>;

@compute @workgroup_size(1)
fn mbn_count() {
  counter[0] = counter[0] + 1;
}
