/**
 * `physml evaluate RUN.json --weights W.safetensors [--file TEST.h5] [--out report.json] [--json]
 * [--lines N]`: SPANet's `spanet.test` for a run. Builds the run's model on its training data,
 * loads the weights (strict), runs the network on the test events — every event of --file, else
 * of the RUN.json's data.test, else the run's held-out split — and prints upstream's tables
 * (one per event type), the jet accuracy i-of-j and the detection metrics; --json prints the
 * report as JSON instead, --out writes the JSON to a file too.
 */
import { writeFileSync } from 'node:fs';
import type { SpanetTables } from '../tasks/spanet/tables';
import type { TestReport } from '../tasks/spanet/testReport';
import type { RunConfig } from '../train/runConfig';
import { parseArgs, UsageError } from './args';
import { buildRun, checkGpuErrors, loadWeights } from './build';
import { loadFileData } from './fileData';
import { userPath } from './paths';
import { readRunFile } from './runFile';

const USAGE = 'usage: physml evaluate RUN.json --weights W.safetensors [--file TEST.h5] [--out report.json] [--json] [--lines N]';
const log = (line: string) => process.stderr.write(`${line}\n`);

const finite = (v: number) => (Number.isFinite(v) ? v : null);

/** The report as JSON: upstream's keys, NaN as null. */
export function reportJson(r: TestReport, about: Record<string, unknown>) {
  return {
    ...about,
    events: r.events,
    jet_limits: r.jetLimits,
    clusters: r.clusters.map((c) => ({ name: c.name, particles: c.particles, indices: c.indices })),
    tables: Object.fromEntries(
      r.jetLimits.map((l) => [l, Object.fromEntries(Object.entries(r.results[l]).map(([k, v]) => [k, finite(v)]))]),
    ),
    validation: Object.fromEntries(Object.entries(r.validation).map(([k, v]) => [k, finite(v)])),
  };
}

/** Every event of a SPANet file, read as the app reads it (option spanet-events). */
async function readTestFile(path: string, rc: RunConfig): Promise<SpanetTables> {
  const f = await loadFileData(path, { task: rc.task, data: { train: path, option: 'spanet-events' } }, '--file');
  const events = (f.data as { events?: import('../data/spanet/reader').SpanetEvents }).events;
  if (!events) throw new Error(`${path}: not read as SPANet events (option ${f.option})`);
  const { tablesFromEvents } = await import('../tasks/spanet/tables');
  return tablesFromEvents(events);
}

export async function evaluateCommand(argv: string[]): Promise<number> {
  const { positional, options } = parseArgs(argv, { weights: 'string', file: 'string', out: 'string', json: 'bool', lines: 'int' });
  if (positional.length !== 1) throw new UsageError(USAGE);
  if (options.weights === undefined) throw new UsageError(`--weights W.safetensors is required (${USAGE})`);
  const runPath = userPath(positional[0]);
  const rc = readRunFile(runPath);
  if (rc.task !== 'spanet') throw new Error(`${runPath}: task "${rc.task}" has no evaluation report yet (physml evaluate runs spanet)`);
  const weights = userPath(options.weights as string);
  const testFile = options.file !== undefined ? userPath(options.file as string) : rc.data.test;
  const lines = (options.lines as number | undefined) ?? 2;
  // the model is built on the training data (its normalisation, jet slots); the test file is read whole below
  const { validation: _v, test: _t, stream: _s, ...trainData } = rc.data;
  const { engine, run } = await buildRun({ ...rc, data: trainData }, log, runPath);
  try {
    const report = loadWeights(run, rc.task, weights);
    log(`loaded ${report.loaded} tensors from ${weights}`);
    const { evaluateSpanetEvents, evaluationData } = await import('../tasks/spanet/evaluateRun');
    const { spanetReportText } = await import('../tasks/spanet/reportText');
    const spanet = run as import('../tasks/spanet/task').SpanetRun;
    let source: string;
    let result: TestReport;
    const progress = (done: number, total: number) => {
      if (done === total || done % (50 * spanet.config.batchSize) < spanet.config.batchSize) log(`evaluated ${done} / ${total} events`);
    };
    if (testFile !== undefined) {
      log(`reading ${testFile}`);
      const tables = await readTestFile(testFile, rc);
      const data = evaluationData(spanet, tables);
      source = testFile;
      result = await evaluateSpanetEvents(engine, spanet, {
        data,
        events: Array.from({ length: data.nEvents }, (_, i) => i),
        lines,
        onProgress: progress,
      });
    } else {
      source = `${rc.data.train ?? 'built-in data'} (held-out events ${spanet.data.trainEvents}…${spanet.data.endEvent - 1})`;
      result = await evaluateSpanetEvents(engine, spanet, { lines, onProgress: progress });
    }
    checkGpuErrors(engine);
    const json = reportJson(result, { run: runPath, weights, file: source });
    if (options.out !== undefined) {
      const out = userPath(options.out as string);
      writeFileSync(out, `${JSON.stringify(json, null, 1)}\n`);
      log(`wrote ${out}`);
    }
    process.stdout.write(
      options.json ? `${JSON.stringify(json, null, 1)}\n` : `Test events: ${result.events} from ${source}\n${spanetReportText(result)}`,
    );
    return 0;
  } finally {
    run.dispose();
  }
}
