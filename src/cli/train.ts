/**
 * `physml train RUN.json [--steps N] [--out DIR] [--weights W.safetensors] [--resume DIR]
 * [--checkpoint-every N] [--checkpoint-minutes M] [--keep K] [--best METRIC]`: headless
 * training. DIR (default runs/<name>) gets run.json (the resolved run, every default
 * filled), metrics.jsonl (one line per read-back step, split "train", and per evaluation,
 * split "test"; wall_ms is training time, evaluations excluded) and weights.safetensors
 * (the final state dict). Progress goes to stderr. With checkpoint flags, DIR/checkpoints/
 * gets a checkpoint every N steps and/or M minutes and at the end (the last K and the best by
 * the test METRIC are kept); --resume DIR continues the run from DIR's newest checkpoint
 * (or from one checkpoint folder) exactly as if it had not stopped, appending to its
 * metrics.jsonl (DIR is also the default --out). With RUN.json data.test, the test file is
 * streamed once at the end and its metrics go to DIR/test.json (and stderr).
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
import { applyCheckpoint } from '../train/checkpoint';
import { DEFAULT_POLICY, type CheckpointPolicy } from '../runs/checkpointStore';
import { fsFolderStore } from '../runs/fsStore';
import { CheckpointWriter, findResumePoint, resumeMismatch, trimMetrics, type ResumePoint } from './resume';
import { userPath } from './paths';
import { readRunFile } from './runFile';

const log = (line: string) => process.stderr.write(`${line}\n`);

const fmt = (v: number) => (Number.isFinite(v) ? v.toPrecision(4) : String(v));

export async function trainCommand(argv: string[]): Promise<number> {
  const { positional, options } = parseArgs(argv, {
    steps: 'int',
    out: 'string',
    weights: 'string',
    resume: 'string',
    'checkpoint-every': 'int',
    'checkpoint-minutes': 'number',
    keep: 'int',
    best: 'string',
  });
  if (positional.length !== 1)
    throw new UsageError(
      `usage: physml train RUN.json [--steps N] [--out DIR] [--weights W.safetensors] [--resume DIR] [--checkpoint-every N] [--checkpoint-minutes M] [--keep K] [--best METRIC]`,
    );
  const runPath = userPath(positional[0]);
  const rc = readRunFile(runPath);
  if (options.steps !== undefined) rc.steps = options.steps as number;
  let resume: ResumePoint | null = null;
  if (options.resume !== undefined) {
    if (options.weights !== undefined) throw new UsageError('--weights and --resume exclude each other (a checkpoint brings its weights)');
    resume = await findResumePoint(userPath(options.resume as string));
    const diff = resumeMismatch(rc, resume.files.meta.run);
    if (diff.length)
      throw new Error(`${runPath} does not train the run of the checkpoint (step ${resume.files.meta.step}): ${diff.join('; ')}`);
    const saved = resume.files.meta.run;
    if (saved && saved.steps !== rc.steps && rc.optimizer.decay_steps === 0 && !['constant', 'step'].includes(rc.optimizer.schedule)) {
      log(
        `warning: the ${rc.optimizer.schedule} schedule decays over the run's steps, ${saved.steps} when the checkpoint was written and ${rc.steps} now: the lr from here on differs from the original run's (set optimizer.decay_steps to keep it)`,
      );
    }
    if (resume.files.meta.task !== rc.task)
      throw new Error(`the checkpoint is of task ${resume.files.meta.task}, ${runPath} trains ${rc.task}`);
  }
  const out = userPath((options.out as string | undefined) ?? resume?.runDir ?? join('runs', rc.name ?? rc.task));
  const policy: CheckpointPolicy = {
    ...DEFAULT_POLICY,
    everySteps: (options['checkpoint-every'] as number | undefined) ?? 0,
    everyMinutes: (options['checkpoint-minutes'] as number | undefined) ?? 0,
    keep: (options.keep as number | undefined) ?? DEFAULT_POLICY.keep,
    bestMetric: options.best as string | undefined,
  };
  if (policy.keep < 1) throw new UsageError('--keep needs at least 1');
  // Any checkpoint flag, or a resume, also writes a checkpoint at the end.
  const checkpointing =
    resume !== null || policy.everySteps > 0 || policy.everyMinutes > 0 || options.keep !== undefined || options.best !== undefined;

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
    if (resume) {
      applyCheckpoint(trainer, resume.files, resume.runDir);
      const dropped = trimMetrics(metricsPath, trainer.step);
      log(
        `resumed at step ${trainer.step} from ${resume.runDir}${dropped ? ` (dropped ${dropped} metric rows written after that checkpoint)` : ''}`,
      );
    } else {
      writeFileSync(metricsPath, '');
    }
    const ckpt = checkpointing ? new CheckpointWriter(fsFolderStore(out), policy, rc, trainer.step, log) : null;
    if (resume && ckpt) Object.assign(ckpt.summary, structuredClone(resume.files.meta.metrics));
    // wall_ms is training time, as the app's wall-time axis: evaluations and readback
    // waits between runSteps calls do not count; an evaluation carries its step's time.
    let wallMs = trainer.hostState().activeMs;
    const write = (rows: object[]) => rows.length && appendFileSync(metricsPath, rows.map((r) => `${JSON.stringify(r)}\n`).join(''));

    let lastLog = 0;
    const onPoints = (points: MetricPoint[]) => {
      write(points.map((p) => ({ step: p.step, wall_ms: p.wallMs, split: 'train', ...p.values })));
      const last = points[points.length - 1];
      wallMs = last.wallMs;
      ckpt?.noteTrain(last.values);
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
      ckpt?.noteTest(r.scalars);
      log(
        `test at step ${trainer.step}: ${Object.entries(r.scalars)
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join(', ')}`,
      );
    };

    // A resumed run evaluated at its last multiple of eval_every before the checkpoint.
    if (rc.eval_every > 0 && !resume) await evaluate();
    let lastEval = rc.eval_every > 0 ? trainer.step - (trainer.step % rc.eval_every) : 0;
    // A non-finite step changes nothing (the Trainer's guard); after optimizer.max_skipped_steps
    // of them in a row the Trainer stops itself with pauseReason.
    while (trainer.step < rc.steps && !trainer.pauseReason) {
      const toEval = rc.eval_every > 0 ? rc.eval_every - (trainer.step - lastEval) : Infinity;
      // Time-based checkpoints are looked at every read_every steps.
      const toCkpt = ckpt ? Math.min(ckpt.clock.stepsUntilDue(trainer.step), policy.everyMinutes > 0 ? rc.read_every : Infinity) : Infinity;
      await trainer.runSteps(Math.min(rc.steps - trainer.step, toEval, toCkpt), onPoints);
      if (rc.eval_every > 0 && trainer.step - lastEval >= rc.eval_every) {
        await evaluate();
        lastEval = trainer.step;
      }
      checkGpuErrors(engine);
      if (ckpt?.clock.due(trainer.step) && !trainer.pauseReason) ckpt.checkpoint(trainer);
    }
    if (trainer.pauseReason) {
      await ckpt?.settle();
      log(`${trainer.pauseReason.message}; stopped at step ${trainer.step} without writing weights`);
      return 1;
    }
    if (rc.eval_every > 0 && trainer.step > lastEval) await evaluate();
    // data.test: one pass over the test file at the end, kept apart from metrics.jsonl's
    // validation rows (split "test") in test.json
    if (rc.data.test !== undefined && run.evaluateTest) {
      const r = await run.evaluateTest();
      writeFileSync(join(out, 'test.json'), `${JSON.stringify({ step: trainer.step, file: rc.data.test, ...r.scalars }, null, 2)}\n`);
      log(
        `test file ${rc.data.test} at step ${trainer.step}: ${Object.entries(r.scalars)
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join(', ')}`,
      );
    }
    if (ckpt) {
      ckpt.checkpoint(trainer);
      const failure = await ckpt.settle();
      if (failure) {
        log(`the last checkpoint was not written: ${failure.message}`);
        return 1;
      }
    }
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
