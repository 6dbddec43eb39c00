import type { EvalResult, StepOutputs, TaskRun } from '../tasks/types';
import type { Engine } from '../tensor/engine';
import { scale } from '../tensor/ops/elementwise';
import type { Tensor } from '../tensor/tensor';
import { Adam, type AdamHyper } from './adam';

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

/**
 * The training loop, the same in the browser worker and in Node. Each step is one command
 * buffer: forward, backward, Adam, and a copy of the step's scalars into a GPU ring. The ring
 * is read back every `readEvery` steps, so the loop never waits on the GPU per step.
 */
export class Trainer {
  step = 0;
  readonly optimizer: Adam;
  private names: string[] | null = null;
  private ring: GPUBuffer | null = null;
  private ringSteps: { step: number; wallMs: number }[] = [];
  /** Training wall time: only time spent inside runSteps counts, not pauses or evaluations. */
  private activeMs = 0;
  private activeSince: number | null = null;
  private inflight: Promise<MetricPoint[]> | null = null;

  constructor(
    private engine: Engine,
    readonly run: TaskRun,
    hyper: Partial<AdamHyper> = {},
    readonly readEvery = 10,
    /** Micro-batches per optimiser step (gradient accumulation). */
    readonly accumulate = 1,
  ) {
    if (!Number.isInteger(accumulate) || accumulate < 1) throw new Error(`accumulate must be a positive integer, got ${accumulate}`);
    this.optimizer = new Adam(engine, run.parameters(), hyper);
  }

  /**
   * Records and submits one training step. With `accumulate` = m > 1 the step runs m
   * micro-batches, each submitted on its own so only one micro-batch of activations is alive;
   * gradients are summed on the GPU and Adam applies their mean (the loss reported is the
   * mean too; other metrics are those of the last micro-batch).
   */
  trainStep(): void {
    const e = this.engine;
    const m = this.accumulate;
    const params = this.run.parameters();
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
        this.optimizer.update(1 / m);
        const loss = m > 1 ? scale(lossSum!, 1 / m) : out.loss;
        this.recordScalars([['loss', loss], ...Object.entries(out.metrics ?? {})]);
        if (m > 1) for (const t of [...sums, lossSum]) t?.dispose();
      });
      e.gpu.submit();
    }
    this.step++;
  }

  private recordScalars(scalars: [string, Tensor<'f32'>][]): void {
    const g = this.engine.gpu;
    if (!this.names) {
      this.names = scalars.map(([n]) => n);
      this.ring = g.alloc(this.readEvery * this.names.length * 4, 'metric-ring');
    }
    const slot = this.ringSteps.length;
    scalars.forEach(([, t], j) => g.copy(t.buffer, 0, this.ring!, (slot * this.names!.length + j) * 4, 4));
    this.ringSteps.push({ step: this.step + 1, wallMs: this.activeMs + (this.activeSince === null ? 0 : performance.now() - this.activeSince) });
  }

  /** Reads the scalars recorded since the last flush (one readback for many steps). */
  flush(): Promise<MetricPoint[]> {
    if (!this.names || !this.ringSteps.length) return Promise.resolve([]);
    const steps = this.ringSteps;
    const names = this.names;
    this.ringSteps = [];
    return this.engine.gpu.read(this.ring!, steps.length * names.length * 4).then((buf) => {
      const v = new Float32Array(buf);
      return steps.map((s, i) => ({
        ...s,
        values: Object.fromEntries(names.map((n, j) => [n, v[i * names.length + j]])),
      }));
    });
  }

  /**
   * Runs up to n steps, handing metrics to `onPoints` as they arrive; `shouldStop` is polled
   * between steps. At most one readback is outstanding, which bounds how far the CPU runs
   * ahead of the GPU.
   */
  async runSteps(n: number, onPoints: (p: MetricPoint[]) => void, shouldStop: () => boolean = () => false): Promise<void> {
    this.activeSince = performance.now();
    try {
      for (let i = 0; i < n && !shouldStop(); i++) {
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

  /** Delivers the outstanding readback (if any) and starts the next one (if any). */
  private async drainInto(onPoints: (p: MetricPoint[]) => void): Promise<void> {
    const done = this.inflight ? await this.inflight : [];
    if (done.length) onPoints(done);
    this.inflight = this.ringSteps.length ? this.flush() : null;
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
