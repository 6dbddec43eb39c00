/**
 * `physml train RUN.json [--steps N] [--out DIR] [--weights W.safetensors]`: headless
 * training. DIR (default runs/<name>) gets run.json (the resolved run, every default
 * filled), metrics.jsonl (one line per read-back step, split "train", and per evaluation,
 * split "test"; wall_ms is training time, evaluations excluded) and weights.safetensors
 * (the final state dict). Progress goes to stderr.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSafetensors } from '../export/safetensors';
import type { EvalResult } from '../tasks/types';
import { formatRunJson } from '../train/runConfig';
import type { MetricPoint } from '../train/trainer';
import { parseArgs, UsageError } from './args';
import { buildRun, checkGpuErrors, loadWeights, runStateDict } from './build';
import { createTrainer } from './optimizer';
import { userPath } from './paths';
import { readRunFile } from './runFile';

const log = (line: string) => process.stderr.write(`${line}\n`);

const fmt = (v: number) => (Number.isFinite(v) ? v.toPrecision(4) : String(v));

export async function trainCommand(argv: string[]): Promise<number> {
  const { positional, options } = parseArgs(argv, { steps: 'int', out: 'string', weights: 'string' });
  if (positional.length !== 1) throw new UsageError('usage: physml train RUN.json [--steps N] [--out DIR] [--weights W.safetensors]');
  const runPath = userPath(positional[0]);
  const rc = readRunFile(runPath);
  if (options.steps !== undefined) rc.steps = options.steps as number;
  const out = userPath((options.out as string | undefined) ?? join('runs', rc.name ?? rc.task));

  const built = await buildRun(rc, log, runPath);
  const { engine, run } = built;
  try {
    log(`${rc.task}: ${run.describe()} (${built.dataLabel})`);
    if (options.weights !== undefined) {
      const path = userPath(options.weights as string);
      const report = loadWeights(run, rc.task, path);
      log(`loaded ${report.loaded} tensors from ${path}`);
    }
    const trainer = createTrainer(engine, run, rc);
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'run.json'), formatRunJson(rc));
    const metricsPath = join(out, 'metrics.jsonl');
    writeFileSync(metricsPath, '');
    // wall_ms is training time, as the app's wall-time axis: evaluations and readback
    // waits between runSteps calls do not count; an evaluation carries its step's time.
    let wallMs = 0;
    const write = (rows: object[]) => rows.length && appendFileSync(metricsPath, rows.map((r) => `${JSON.stringify(r)}\n`).join(''));

    let lastLog = 0;
    const onPoints = (points: MetricPoint[]) => {
      write(points.map((p) => ({ step: p.step, wall_ms: p.wallMs, split: 'train', ...p.values })));
      const last = points[points.length - 1];
      wallMs = last.wallMs;
      const now = performance.now();
      if (now - lastLog > 1000 || last.step === rc.steps) {
        lastLog = now;
        const rate = last.wallMs > 0 ? (last.step / last.wallMs) * 1000 : 0;
        log(`step ${last.step}/${rc.steps}  loss ${fmt(last.values.loss)}  ${rate.toFixed(1)} steps/s`);
      }
    };
    const evaluate = async () => {
      const r: EvalResult = await trainer.evaluate();
      write([{ step: trainer.step, wall_ms: wallMs, split: 'test', ...r.scalars }]);
      log(`test at step ${trainer.step}: ${Object.entries(r.scalars).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`);
    };

    if (rc.eval_every > 0) await evaluate();
    let lastEval = 0;
    // A non-finite step changes nothing (the Trainer's guard); after optimizer.max_skipped_steps
    // of them in a row the Trainer stops itself with pauseReason.
    while (trainer.step < rc.steps && !trainer.pauseReason) {
      const toEval = rc.eval_every > 0 ? rc.eval_every - (trainer.step - lastEval) : Infinity;
      await trainer.runSteps(Math.min(rc.steps - trainer.step, toEval), onPoints);
      if (rc.eval_every > 0 && trainer.step - lastEval >= rc.eval_every) {
        await evaluate();
        lastEval = trainer.step;
      }
      checkGpuErrors(engine);
    }
    if (trainer.pauseReason) {
      log(`${trainer.pauseReason.message}; stopped at step ${trainer.step} without writing weights`);
      return 1;
    }
    if (rc.eval_every > 0 && trainer.step > lastEval) await evaluate();
    const state = await runStateDict(run, rc.task, log);
    checkGpuErrors(engine);
    writeFileSync(join(out, 'weights.safetensors'), encodeSafetensors(state, { task: rc.task, step: String(trainer.step), format: 'pt' }));
    log(`wrote ${out}/{run.json, metrics.jsonl, weights.safetensors}`);
    trainer.dispose();
    return 0;
  } catch (err) {
    run.dispose();
    throw err;
  }
}
