import type { EvalResult, TaskRun } from '../tasks/types';
import type { Engine } from '../tensor/engine';
import type { Tensor } from '../tensor/tensor';
import { Adam, type AdamHyper } from './adam';

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
  private t0 = performance.now();
  private pausedMs = 0;
  private inflight: Promise<MetricPoint[]> | null = null;

  constructor(
    private engine: Engine,
    readonly run: TaskRun,
    hyper: Partial<AdamHyper> = {},
    readonly readEvery = 10,
  ) {
    this.optimizer = new Adam(engine, run.parameters(), hyper);
  }

  /** Records and submits one training step. */
  trainStep(): void {
    const e = this.engine;
    e.scope(() => {
      const tape = e.beginTape();
      let scalars: [string, Tensor<'f32'>][];
      try {
        const out = this.run.trainStep(this.step);
        tape.backward(out.loss);
        scalars = [['loss', out.loss], ...Object.entries(out.metrics ?? {})];
      } finally {
        e.endTape();
      }
      this.optimizer.update();
      this.recordScalars(scalars);
    });
    e.gpu.submit();
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
    this.ringSteps.push({ step: this.step + 1, wallMs: performance.now() - this.t0 - this.pausedMs });
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
    for (let i = 0; i < n && !shouldStop(); i++) {
      this.trainStep();
      if (this.ringSteps.length >= this.readEvery) await this.drainInto(onPoints);
    }
    await this.drainInto(onPoints);
    if (this.inflight) onPoints(await this.inflight);
    this.inflight = null;
  }

  private async drainInto(onPoints: (p: MetricPoint[]) => void): Promise<void> {
    if (this.inflight) onPoints(await this.inflight);
    this.inflight = this.flush();
  }

  /** Excludes time spent paused from the wall-clock axis. */
  notePause(ms: number): void {
    this.pausedMs += ms;
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
