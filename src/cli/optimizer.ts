/** RUN.json's optimiser, schedule and loop settings → the Trainer. */
import type { TaskRun } from '../tasks/types';
import type { Engine } from '../tensor/engine';
import type { RunConfig } from '../train/runConfig';
import { Trainer } from '../train/trainer';

export function createTrainer(engine: Engine, run: TaskRun, rc: RunConfig): Trainer {
  // totalSteps: schedules with decay_steps 0 decay over the run's steps.
  return new Trainer(engine, run, rc.optimizer, rc.read_every, rc.accumulate, { totalSteps: rc.steps });
}
