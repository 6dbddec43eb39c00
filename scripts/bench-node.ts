/**
 * The bench page's cases (tools/bench/main.ts: ours, tfjs's WebGPU backend, jax-js) run in
 * Node on Dawn (npm `webgpu`) instead of Chromium: for machines where a GPU is reachable
 * through Vulkan but a browser is not (scripts/bench-gpu.sh runs both). Same report.
 *
 *   npx tsx --import ./scripts/raw-loader.mjs scripts/bench-node.ts [--markdown] [--only k1,k2] [--quick]
 *
 * DAWN_FLAGS: comma-separated Dawn options for create() (e.g. backend=vulkan or adapter=<name>; a
 * wrong adapter name makes Dawn list the adapters it found).
 */
import { cpus, loadavg } from 'node:os';
import { create, globals } from 'webgpu';
import { markdownReport, plainReport, type RunInfo } from '../tools/bench/report';
import type { CaseResult, CaseSpec, TimingPlan } from '../tools/bench/types';

const HEAVY: Partial<TimingPlan> = { warmup: 1, samples: 5, minSamples: 3, budgetMs: 30_000, capStepMs: 15_000, recordSteps: 2 };

/** On a GPU the issues' full sizes take seconds; a 2048 matmul shows peak throughput. */
const GPU_CASES: CaseSpec[] = [
  { kind: 'matmul', n: 256 },
  { kind: 'matmul', n: 512 },
  { kind: 'matmul', n: 1024 },
  { kind: 'matmul', n: 2048 },
  { kind: 'mlp', batch: 256, widths: [256, 512, 512, 512, 1] },
  { kind: 'deepset', sets: 64, meanSize: 40, width: 128, depth: 3, plan: HEAVY },
  { kind: 'segmentSum', rows: 1_000_000, cols: 128, segments: 10_000, plan: HEAVY },
  { kind: 'oc', n: 10_000, k: 100, d: 8, plan: HEAVY },
  { kind: 'oc', n: 100_000, k: 1000, d: 8, plan: HEAVY },
  { kind: 'uresnet', events: 1, size: 256, plan: HEAVY },
  { kind: 'spanet', events: 64, jets: 10, layers: 6, width: 128, heads: 8, plan: HEAVY },
  { kind: 'clustering', eventsPerBatch: 4, hidden: 48 },
];
const QUICK_CASES: CaseSpec[] = [
  { kind: 'matmul', n: 128 },
  { kind: 'mlp', batch: 32, widths: [32, 64, 64, 64, 1] },
];
const PLAN: TimingPlan = { warmup: 2, samples: 7, budgetMs: 30_000, minSamples: 3, targetSampleMs: 500, maxItersPerSample: 500 };

function log(msg: string): void {
  process.stderr.write(`[bench-node] ${msg}\n`);
}

async function main(argv: string[]): Promise<number> {
  const markdown = argv.includes('--markdown');
  const quick = argv.includes('--quick');
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? (argv[onlyAt + 1] ?? '').split(',').filter(Boolean) : [];
  const all = quick ? QUICK_CASES : GPU_CASES;
  const key = (c: CaseSpec) =>
    Object.entries(c)
      .filter(([k]) => k !== 'plan')
      .map(([, v]) => (Array.isArray(v) ? v.join('x') : String(v)))
      .join('-');
  const cases = only.length ? all.filter((c) => only.some((o) => c.kind === o || key(c).includes(o))) : all;

  Object.assign(globalThis, globals);
  const gpu = create((process.env.DAWN_FLAGS ?? '').split(',').filter(Boolean));
  // The page code reads navigator.gpu and sets window.bench.
  Object.defineProperty(globalThis, 'navigator', {
    value: { gpu, userAgent: `Node ${process.version} + Dawn (npm webgpu)` },
    configurable: true,
  });
  Object.defineProperty(globalThis, 'window', { value: globalThis, configurable: true });
  await import('../tools/bench/main');
  const bench = (globalThis as unknown as Window).bench!;
  const page = await bench.init();
  log(`adapter ${JSON.stringify(page.adapter)}, tfjs backend ${page.tfjsBackend}`);
  const loadBefore = loadavg()[0];
  const results: CaseResult[] = [];
  for (const spec of cases) {
    const t0 = Date.now();
    try {
      const r = await bench.run(spec, PLAN);
      log(
        `${r.check.ok ? '✓' : '✗'} ${r.label}: ours ${r.ours?.medianMs.toFixed(3) ?? '–'} ms, tfjs ${r.tfjs?.medianMs.toFixed(3) ?? '–'} ms (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
      );
      results.push(r);
    } catch (err) {
      log(`${key(spec)} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const cpu = cpus();
  const info: RunInfo = {
    date: new Date().toISOString().slice(0, 10),
    machine: `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${process.platform} ${process.arch}`,
    browser: `none: Node ${process.version}, Dawn (npm webgpu)`,
    flags: [`DAWN_FLAGS=${process.env.DAWN_FLAGS ?? ''}`],
    mode: quick ? 'quick' : 'full',
    load: [loadBefore, loadavg()[0]],
    page,
  };
  const code = results.length === cases.length && results.every((r) => r.check.ok) ? 0 : 1;
  // Dawn's instance keeps the event loop alive: exit once the report has drained.
  process.stdout.write(markdown ? markdownReport(info, results) : plainReport(info, results), () => process.exit(code));
  return code;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`[bench-node] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 2;
    setTimeout(() => process.exit(2), 100);
  },
);
