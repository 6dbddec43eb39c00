/**
 * The base of the guarded optimisers: each step records the guard's reduction (global norm,
 * clip factor, skip flag, step count) and then one fused update per parameter that reads the
 * guard, so a step with a non-finite loss or gradient changes no weight and no moment and does
 * not advance the step count. Everything is recorded into the step's command buffer.
 */
import type { Engine } from '../../tensor/engine';
import type { Tensor } from '../../tensor/tensor';
import type { OptimizerConfig, OptimizerName } from '../optimConfig';
import type { NamedParam } from './groups';
import { StepGuard } from './guard';

/** Host copies of an optimiser's state, torch-like: per parameter name, per slot name. */
export interface OptimizerState {
  name: OptimizerName;
  /** Optimiser steps taken (bias-correction count; skipped steps excluded). */
  step: number;
  skipped_steps: number;
  slots: Record<string, Record<string, Float32Array>>;
}

export interface StepOptions {
  /** The step's loss: non-finite skips the step. */
  loss?: Tensor<'f32'>;
  /** Multiplies the gradients (1/m for the mean of m accumulated micro-batches). */
  gradScale?: number;
}

export abstract class Optimizer {
  abstract readonly name: OptimizerName;
  /** The learning rate of the next step (the schedule sets it; a uniform, not a readback). */
  lr: number;
  readonly guard: StepGuard;
  /** Per parameter, its slot tensors (moments / momentum buffer) in `slotNames` order. */
  protected slots: Tensor<'f32'>[][];

  constructor(
    protected engine: Engine,
    readonly params: readonly NamedParam[],
    readonly config: OptimizerConfig,
    readonly slotNames: readonly string[],
  ) {
    this.lr = config.lr;
    this.guard = new StepGuard(engine.gpu, params.length);
    this.slots = params.map((p) => slotNames.map(() => engine.zeros(p.tensor.shape).keep()));
  }

  get tensors(): Tensor<'f32'>[] {
    return this.params.map((p) => p.tensor);
  }

  /** Parameter i's slot tensors in slotNames order (checkpoints copy them on the GPU). */
  slotTensors(i: number): readonly Tensor<'f32'>[] {
    return this.slots[i];
  }

  /** Records the guarded update of every parameter's `.grad`, then drops the references. */
  step(opts: StepOptions = {}): void {
    const gradScale = opts.gradScale ?? 1;
    this.guard.record(this.tensors, { loss: opts.loss, gradScale, maxNorm: this.config.clip_norm });
    this.params.forEach((p, i) => {
      const grad = p.tensor.grad;
      if (!grad) return;
      this.update(p, grad, this.slots[i], gradScale);
      p.tensor.grad = null;
    });
  }

  protected abstract update(p: NamedParam, grad: Tensor<'f32'>, slots: Tensor<'f32'>[], gradScale: number): void;

  /** Reads the state back (several readbacks: for checkpoints, not inside the loop). */
  async state(): Promise<OptimizerState> {
    const g = await this.guard.read();
    const slots: OptimizerState['slots'] = {};
    for (let i = 0; i < this.params.length; i++) {
      const entry: Record<string, Float32Array> = {};
      for (let k = 0; k < this.slotNames.length; k++) entry[this.slotNames[k]] = await this.slots[i][k].read();
      slots[this.params[i].name] = entry;
    }
    return { name: this.name, step: g.t, skipped_steps: g.skipped, slots };
  }

  /** Restores a state written by state(); checks every name and size before writing. */
  loadState(s: OptimizerState): void {
    if (s.name !== this.name) throw new Error(`optimiser state is for ${s.name}, this optimiser is ${this.name}`);
    const problems: string[] = [];
    for (const p of this.params) {
      const entry = s.slots[p.name];
      if (!entry) {
        problems.push(`missing ${p.name}`);
        continue;
      }
      for (const k of this.slotNames) {
        if (entry[k]?.length !== p.tensor.size)
          problems.push(`${p.name}.${k}: expected ${p.tensor.size} values, got ${entry[k]?.length ?? 'none'}`);
      }
    }
    for (const name of Object.keys(s.slots)) if (!this.params.some((p) => p.name === name)) problems.push(`unexpected ${name}`);
    if (problems.length) throw new Error(`optimiser state does not fit: ${problems.join('; ')}`);
    // Queue writes land before unsubmitted commands (the slots' zero fill): submit those first.
    this.engine.gpu.submit();
    this.params.forEach((p, i) => this.slotNames.forEach((k, j) => this.engine.gpu.write(this.slots[i][j].buffer, s.slots[p.name][k])));
    this.guard.setCounters(s.step, s.skipped_steps);
  }

  dispose(): void {
    for (const list of this.slots) for (const t of list) t.dispose();
    this.slots = [];
    this.guard.dispose();
  }
}
