/**
 * Trains a Deep Sets run until its test MSE falls below a target (the seed's goal: 0.1 on
 * the toy problem with 100 training sets) and reports how many steps that took. Used by
 * scripts/deepsets-goal.ts and the tests; the loop is the app's Trainer.
 */
import type { Engine } from '../../tensor/engine';
import { Trainer } from '../../train/trainer';
import type { SetsTaskData } from './data';
import { deepSetsTask, DeepSetsRun, type DeepSetsConfig } from './task';

export interface GoalOptions {
  target: number;
  maxSteps: number;
  /** Steps between test evaluations (the reported step count is a multiple of it). */
  evalEvery: number;
  lr?: number;
  /** File-style data instead of the built-in toy sets. */
  data?: SetsTaskData;
  onEval?(step: number, testMse: number, trainLoss: number, elapsedMs: number): void;
}

export interface GoalResult {
  /** First evaluated step with test MSE < target, or null if maxSteps ran out. */
  stepsToTarget: number | null;
  bestTestMse: number;
  history: { step: number; testMse: number; trainLoss: number }[];
  msPerStep: number;
  description: string;
}

export async function trainToTarget(
  engine: Engine,
  config: Partial<Record<keyof DeepSetsConfig, number | string>>,
  opts: GoalOptions,
): Promise<GoalResult> {
  const run = new DeepSetsRun(engine, { ...deepSetsTask.defaults, ...config } as DeepSetsConfig, opts.data);
  if (run.numClasses) throw new Error('trainToTarget measures regression (test MSE)');
  const trainer = new Trainer(engine, run, { lr: opts.lr ?? deepSetsTask.optimizer?.lr }, opts.evalEvery);
  const history: GoalResult['history'] = [];
  const t0 = performance.now();
  let stepsToTarget: number | null = null;
  let best = Infinity;
  try {
    while (trainer.step < opts.maxSteps) {
      let trainLoss = NaN;
      await trainer.runSteps(opts.evalEvery, (points) => {
        if (points.length) trainLoss = points[points.length - 1].values.loss;
      });
      const testMse = (await trainer.evaluate()).scalars.mse;
      history.push({ step: trainer.step, testMse, trainLoss });
      best = Math.min(best, testMse);
      opts.onEval?.(trainer.step, testMse, trainLoss, performance.now() - t0);
      if (!Number.isFinite(testMse)) break;
      if (testMse < opts.target) {
        stepsToTarget = trainer.step;
        break;
      }
    }
    return {
      stepsToTarget,
      bestTestMse: best,
      history,
      msPerStep: (performance.now() - t0) / Math.max(1, trainer.step),
      description: run.describe(),
    };
  } finally {
    trainer.dispose();
  }
}
