import type { EvalResult, StepOutputs, TaskRun } from '../tasks/types';
import type { Engine } from '../tensor/engine';
import { scale } from '../tensor/ops/elementwise';
import type { Tensor } from '../tensor/tensor';
import { buildOptimizer, resolveOptimizerConfig, type Optimizer, type OptimizerInput } from './optim';
import { decodeGuard, GUARD, type GuardSnapshot } from './optim/guard';
import type { OptimizerConfig } from './optimConfig';
import { makeSchedule, type LrSchedule } from './schedule';

/** running + g, kept alive across micro-batch scopes; frees the previous sum. */
function accumulate(e: Engine, running: Tensor<'f32'> | null, g: Tensor<'f32'> | null): Tensor<'f32'> | null {
  if (!g) return running;
  if (!running) return g.keep();
  const next = e.addInto(running, g).keep();
  running.dispose();
  return next;
}

export interface MetricPoint {
  step: number;
  /** Milliseconds since training started when the step was submitted. */
  wallMs: number;
  values: Record<string, number>;
}

/** Why the Trainer stopped by itself: too many consecutive skipped (non-finite) steps. */
export interface PauseReason {
  /** The step at which the limit was reached. */
  step: number;
  consecutive: number;
  lossNonFinite: boolean;
  /** Parameters whose gradient was non-finite (or too large for f32) since the last read. */
  params: string[];
  message: string;
  /** Set when a streamed batch could not be read: the entry at fault (skip it to continue). */
  data?: { file: string; dataset: string | null; entry: number | null };
}

/** The Trainer's host-side loop state, which a checkpoint stores next to the GPU state. */
export interface TrainerHostState {
  step: number;
  /** Training wall time so far (ms). */
  activeMs: number;
  /** Skip streak and last skipped_steps value, so the pause rule continues across a resume. */
  streak: number;
  lastSkipped: number;
}

export interface TrainerOptions {
  /** The run's step count, for schedules whose decay_steps is 0. */
  totalSteps?: number;
}

/**
 * The training loop, the same in the browser worker and in Node. Each step is one command
 * buffer: forward, backward, the step guard (global gradient norm, clip factor, non-finite
 * flag), the optimiser's guarded updates, and a copy of the step's scalars into a GPU ring.
 * The ring is read back every `readEvery` steps, so the loop never waits on the GPU per step.
 * A step whose loss or gradients are not finite changes nothing (see optim/guard.ts); after
 * `max_skipped_steps` such steps in a row the Trainer stops and sets `pauseReason`.
 */
export class Trainer {
  step = 0;
  readonly optimizer: Optimizer;
  readonly config: OptimizerConfig;
  readonly schedule: LrSchedule;
  /** Set when training stopped itself; cleared when runSteps is called again. */
  pauseReason: PauseReason | null = null;
  /** The guard as of the last readback (counters, sticky flags). */
  lastGuard: GuardSnapshot | null = null;
  private names: string[] | null = null;
  private ring: GPUBuffer | null = null;
  private ringSteps: { step: number; wallMs: number; lr: number; waitMs: number }[] = [];
  /** Time the current step waited for its streamed batch (ms), and the previous point's wall time. */
  private waitMs = 0;
  private lastPointMs = 0;
  /** Training wall time: only time spent inside runSteps counts, not pauses or evaluations. */
  private activeMs = 0;
  private activeSince: number | null = null;
  private inflight: Promise<MetricPoint[]> | null = null;
  /** Host view of the skip streak, from the per-step skipped_steps values read back. */
  private streak = 0;
  private lastSkipped = 0;

  constructor(
    private engine: Engine,
    readonly run: TaskRun,
    optimizer: OptimizerInput = {},
    readonly readEvery = 10,
    /** Micro-batches per optimiser step (gradient accumulation). */
    readonly accumulate = 1,
    opts: TrainerOptions = {},
  ) {
    if (!Number.isInteger(accumulate) || accumulate < 1) throw new Error(`accumulate must be a positive integer, got ${accumulate}`);
    // a run that prescribes its optimiser (SPANet's options file) overrides the caller's settings
    const plan = run.optimizerPlan?.() ?? null;
    this.config = resolveOptimizerConfig(plan ? { ...optimizer, ...plan.optimizer } : optimizer);
    this.schedule = makeSchedule(this.config, opts.totalSteps ?? 0);
    this.optimizer = buildOptimizer(engine, run, this.config, plan?.noDecay);
  }

  /**
   * Records and submits one training step. With `accumulate` = m > 1 the step runs m
   * micro-batches, each submitted on its own so only one micro-batch of activations is alive;
   * gradients are summed on the GPU and the optimiser applies their mean (the loss reported
   * is the mean too; other metrics are those of the last micro-batch).
   */
  trainStep(): void {
    const e = this.engine;
    const m = this.accumulate;
    const params = this.run.parameters();
    const lr = this.schedule(this.step);
    let sums: (Tensor<'f32'> | null)[] = params.map(() => null);
    let lossSum: Tensor<'f32'> | null = null;
    for (let k = 0; k < m; k++) {
      const last = k === m - 1;
      e.scope(() => {
        const tape = e.beginTape();
        let out: StepOutputs;
        try {
          out = this.run.trainStep(this.step * m + k);
          tape.backward(out.loss);
        } finally {
          e.endTape();
        }
        if (m > 1) {
          sums = params.map((p, i) => accumulate(e, sums[i], p.grad));
          lossSum = accumulate(e, lossSum, out.loss);
        }
        if (!last) return;
        if (m > 1) params.forEach((p, i) => (p.grad = sums[i]));
        const loss = m > 1 ? scale(lossSum!, 1 / m) : out.loss;
        this.optimizer.lr = lr;
        this.optimizer.step({ loss, gradScale: 1 / m });
        this.recordScalars([['loss', loss], ...Object.entries(out.metrics ?? {})], lr);
        if (m > 1) for (const t of [...sums, lossSum]) t?.dispose();
      });
      e.gpu.submit();
    }
    this.step++;
  }

  /** Ring slot layout: the step's scalars, then grad_norm and skipped_steps from the guard. */
  private recordScalars(scalars: [string, Tensor<'f32'>][], lr: number): void {
    const g = this.engine.gpu;
    if (!this.names) {
      this.names = [...scalars.map(([n]) => n), 'grad_norm', 'skipped_steps'];
      this.ring = g.alloc(this.readEvery * this.names.length * 4 + this.optimizer.guard.bytes, 'metric-ring');
    }
    const width = this.names.length;
    const slot = this.ringSteps.length * width;
    scalars.forEach(([, t], j) => g.copy(t.buffer, 0, this.ring!, (slot + j) * 4, 4));
    const guard = this.optimizer.guard.buffer;
    g.copy(guard, GUARD.norm, this.ring!, (slot + width - 2) * 4, 4);
    g.copy(guard, GUARD.skipped, this.ring!, (slot + width - 1) * 4, 4);
    this.ringSteps.push({
      step: this.step + 1,
      lr,
      waitMs: this.waitMs,
      wallMs: this.activeMs + (this.activeSince === null ? 0 : performance.now() - this.activeSince),
    });
  }

  /**
   * Reads the scalars recorded since the last flush and the guard (one readback for many
   * steps), then clears the guard's sticky flags.
   */
  flush(): Promise<MetricPoint[]> {
    if (!this.names || !this.ringSteps.length) return Promise.resolve([]);
    const steps = this.ringSteps;
    const names = this.names;
    const guard = this.optimizer.guard;
    const tail = this.readEvery * names.length * 4;
    this.ringSteps = [];
    this.engine.gpu.copy(guard.buffer, 0, this.ring!, tail, guard.bytes);
    const reading = this.engine.gpu.read(this.ring!, tail + guard.bytes);
    guard.clearSticky(); // queue-ordered after the copy just submitted
    const perEpoch = this.run.batchesPerEpoch?.() ?? 0;
    return reading.then((buf) => {
      const v = new Float32Array(buf, 0, steps.length * names.length);
      this.lastGuard = decodeGuard(buf.slice(tail), guard.paramCount);
      const points = steps.map((s, i) => {
        const values: Record<string, number> = { ...Object.fromEntries(names.map((n, j) => [n, v[i * names.length + j]])), lr: s.lr };
        // passes over the training data after this step (micro-batch k draws batch k mod n)
        if (perEpoch) values.epoch = (s.step * this.accumulate) / perEpoch;
        if (this.run.nextBatch) {
          // input-bound (near 1) or GPU-bound (near 0): the step's share spent waiting for data
          const span = Math.max(1e-3, s.wallMs - this.lastPointMs);
          values.data_wait_ms = s.waitMs;
          values.input_fraction = Math.min(1, s.waitMs / span);
        }
        this.lastPointMs = s.wallMs;
        return { step: s.step, wallMs: s.wallMs, values };
      });
      this.watchSkips(points, this.lastGuard);
      return points;
    });
  }

  /** Follows the skip streak step by step; at the limit, stops training with the reason. */
  private watchSkips(points: MetricPoint[], g: GuardSnapshot): void {
    const limit = this.config.max_skipped_steps;
    for (const p of points) {
      const skipped = p.values.skipped_steps;
      this.streak = skipped > this.lastSkipped ? this.streak + 1 : 0;
      this.lastSkipped = skipped;
      if (limit > 0 && this.streak >= limit && !this.pauseReason) {
        const params = g.badParams.map((i) => this.optimizer.params[i].name);
        const what: string[] = [];
        if (g.lossBad) what.push('the loss was non-finite');
        if (params.length) {
          const shown = params.length > 8 ? `${params.slice(0, 8).join(', ')} and ${params.length - 8} more` : params.join(', ');
          what.push(`the gradient of ${shown} was non-finite (or too large for f32)`);
        }
        if (!what.length) what.push('the step was not finite');
        const message =
          `training paused at step ${p.step}: ${this.streak} consecutive steps were skipped because ${what.join(' and ')}; ` +
          'the weights are those before the first skipped step. Lower the learning rate, enable gradient clipping, or check the data for NaN/inf.';
        this.pauseReason = { step: p.step, consecutive: this.streak, lossNonFinite: g.lossBad, params, message };
      }
    }
  }

  /**
   * Runs up to n steps, handing metrics to `onPoints` as they arrive; `shouldStop` is polled
   * between steps, and the run also stops when `pauseReason` gets set. At most one readback
   * is outstanding, which bounds how far the CPU runs ahead of the GPU (skipped steps past the
   * limit change nothing, so detecting the limit one readback late is harmless).
   */
  async runSteps(n: number, onPoints: (p: MetricPoint[]) => void, shouldStop: () => boolean = () => false): Promise<void> {
    this.pauseReason = null;
    this.activeSince = performance.now();
    try {
      for (let i = 0; i < n && !shouldStop() && !this.pauseReason; i++) {
        if (this.run.nextBatch && !(await this.fetchBatches())) break;
        this.trainStep();
        if (this.ringSteps.length >= this.readEvery) await this.drainInto(onPoints);
      }
      await this.drainInto(onPoints);
      await this.drainInto(onPoints);
    } finally {
      this.activeMs += performance.now() - this.activeSince;
      this.activeSince = null;
    }
  }

  /**
   * Awaits the streamed batches of the next step's micro-batches, timing the wait. A batch
   * that cannot be read pauses training before the step (weights and optimiser untouched)
   * with the entry at fault in pauseReason.data.
   */
  private async fetchBatches(): Promise<boolean> {
    const t0 = performance.now();
    try {
      for (let k = 0; k < this.accumulate; k++) await this.run.nextBatch!(this.step * this.accumulate + k);
    } catch (e) {
      const d = e as { name?: string; file?: string; dataset?: string | null; entry?: number | null; message?: string };
      if (d?.name !== 'StreamDataError') throw e;
      this.pauseReason = {
        step: this.step,
        consecutive: 0,
        lossNonFinite: false,
        params: [],
        message: `training paused before step ${this.step + 1}: ${d.message}. The weights are kept; skip the entry to continue.`,
        data: { file: d.file ?? '', dataset: d.dataset ?? null, entry: d.entry ?? null },
      };
      return false;
    } finally {
      this.waitMs = performance.now() - t0;
    }
    return true;
  }

  /** Delivers the outstanding readback (if any) and starts the next one (if any). */
  private async drainInto(onPoints: (p: MetricPoint[]) => void): Promise<void> {
    const done = this.inflight ? await this.inflight : [];
    if (done.length) onPoints(done);
    this.inflight = this.ringSteps.length ? this.flush() : null;
  }

  /** Host loop state for a checkpoint; call between runSteps calls (the ring is drained then). */
  hostState(): TrainerHostState {
    const running = this.activeSince === null ? 0 : performance.now() - this.activeSince;
    return { step: this.step, activeMs: this.activeMs + running, streak: this.streak, lastSkipped: this.lastSkipped };
  }

  /** Restores hostState() into a fresh Trainer (the GPU state is restored by checkpoint.ts). */
  restoreHostState(s: TrainerHostState): void {
    if (this.activeSince !== null || this.ringSteps.length) throw new Error('restore a Trainer before it trains');
    this.step = s.step;
    this.activeMs = s.activeMs;
    this.streak = s.streak;
    this.lastSkipped = s.lastSkipped;
  }

  evaluate(): Promise<EvalResult> {
    return this.run.evaluate();
  }

  dispose(): void {
    this.optimizer.dispose();
    this.run.dispose();
    if (this.ring) this.engine.gpu.release(this.ring);
    this.engine.gpu.submit();
  }
}
