/**
 * Benchmarks the engine against @tensorflow/tfjs-backend-webgpu in one headless Chromium
 * page: starts a Vite dev server on 127.0.0.1 for tools/bench/bench.html, drives the page's
 * window.bench API case by case, and prints a table (or markdown with --markdown).
 *
 *   npm run bench [-- --quick | --full] [-- --markdown] [-- --only deepset,oc-10000] [-- --per-dispatch]
 *
 * Default: every case, the slow ones at reduced sizes (about 8 minutes on SwiftShader);
 * --full: the issues' full sizes (segment sum 1M×128, U-ResNet 3×256², the encoder on 64
 * events, the whole OC grid); --quick: tiny sizes. --only keeps the cases whose kind equals,
 * or whose key (kind-sizes, e.g. oc-10000-100-8) contains, one of the given strings.
 * --per-dispatch times ours on the old recording path (the recording table shows both anyway).
 *
 * CHROMIUM_PATH overrides the browser (default: Debian's /usr/lib/chromium/chromium).
 */
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { parseArgs, selectCases } from '../tools/bench/cli';
import { markdownReport, plainReport, type RunInfo } from '../tools/bench/report';
import type { CaseResult, CaseSpec, TimingPlan } from '../tools/bench/types';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/lib/chromium/chromium';
/**
 * --enable-unsafe-webgpu is the one flag WebGPU needs in Chromium on Linux; without it
 * requestAdapter() returns null. With no GPU it then picks SwiftShader by itself (Playwright
 * also passes --enable-unsafe-swiftshader and, for root, --no-sandbox). The rest keep the
 * browser from doing network and update work beside the measurement.
 */
const FLAGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  // Lets timestamp queries (the profile tables) resolve finer than Chromium's default 100 µs.
  '--enable-webgpu-developer-features',
  // scripts/bench-gpu.sh adds the flags that put WebGPU on a real GPU's Vulkan driver.
  ...(process.env.BENCH_EXTRA_FLAGS ?? '').split(' ').filter(Boolean),
];

/**
 * Timing plan for the cases whose one step takes seconds on SwiftShader. No warm-up step:
 * their agreement check has already run every kernel of both sides (pipelines compiled,
 * pools filled). A side slower than 15 s a step is timed by that one step.
 */
const HEAVY: Partial<TimingPlan> = { warmup: 0, samples: 3, minSamples: 2, budgetMs: 20_000, capStepMs: 15_000, recordSteps: 2 };

const OC_FULL_GRID: CaseSpec[] = [10_000, 50_000, 100_000].flatMap((n) =>
  [100, 1000, 5000].map((k): CaseSpec => ({ kind: 'oc', n, k, d: 8, plan: HEAVY })),
);

/**
 * The issues' cases, those too slow for SwiftShader at reduced sizes, keeping the whole run
 * near 8 minutes on 2 shared cores: the Deep Set step at the issue's size, segment sum
 * 50k×128, OC at N 10k / K 100, U-ResNet at 3×64×64, the 6×128 encoder on 8 events.
 */
const DEFAULT: { cases: CaseSpec[]; plan: TimingPlan } = {
  cases: [
    { kind: 'matmul', n: 256 },
    { kind: 'matmul', n: 512 },
    { kind: 'matmul', n: 1024 },
    { kind: 'mlp', batch: 256, widths: [256, 512, 512, 512, 1] },
    { kind: 'deepset', sets: 64, meanSize: 40, width: 128, depth: 3, plan: HEAVY },
    { kind: 'segmentSum', rows: 50_000, cols: 128, segments: 500, plan: HEAVY },
    { kind: 'oc', n: 10_000, k: 100, d: 8, plan: HEAVY },
    { kind: 'uresnet', events: 1, size: 64, plan: HEAVY },
    { kind: 'spanet', events: 8, jets: 10, layers: 6, width: 128, heads: 8, plan: HEAVY },
    { kind: 'spanet-v2', events: 8, plan: HEAVY },
    { kind: 'spanet-v2-encoder', events: 8, plan: HEAVY },
    { kind: 'clustering', eventsPerBatch: 4, hidden: 48 },
  ],
  // 1024 matmul takes seconds a step on SwiftShader: one warm-up step (the step that sizes
  // the samples is a second) and up to 7 sample pairs, cut to 3 once a case has sampled for
  // 40 s, keep the run near 3 minutes on 2 idle cores and under 5 on busy ones.
  plan: { warmup: 1, samples: 7, budgetMs: 40_000, minSamples: 3, targetSampleMs: 1000, maxItersPerSample: 200 },
};

/**
 * The issues' full sizes (hours on SwiftShader, meant for a GPU): segment sum 1M×128 into 10k,
 * U-ResNet at 3×256×256, the encoder on 64 events, the whole OC grid N 10k–100k × K 100–5000.
 */
const FULL: typeof DEFAULT = {
  cases: [
    ...DEFAULT.cases.filter((c) => !['oc', 'segmentSum', 'uresnet', 'spanet', 'spanet-v2', 'spanet-v2-encoder'].includes(c.kind)),
    { kind: 'segmentSum', rows: 1_000_000, cols: 128, segments: 10_000, plan: HEAVY },
    { kind: 'uresnet', events: 1, size: 256, plan: HEAVY },
    { kind: 'spanet', events: 64, jets: 10, layers: 6, width: 128, heads: 8, plan: HEAVY },
    { kind: 'spanet-v2', events: 32, plan: HEAVY },
    { kind: 'spanet-v2-encoder', events: 32, plan: HEAVY },
    ...OC_FULL_GRID,
  ],
  plan: DEFAULT.plan,
};

const QUICK: typeof DEFAULT = {
  cases: [
    { kind: 'matmul', n: 64 },
    { kind: 'matmul', n: 128 },
    { kind: 'mlp', batch: 32, widths: [32, 64, 64, 64, 1] },
    { kind: 'deepset', sets: 8, meanSize: 10, width: 32, depth: 2 },
    { kind: 'segmentSum', rows: 10_000, cols: 32, segments: 100 },
    { kind: 'oc', n: 2000, k: 50, d: 8 },
    { kind: 'uresnet', events: 1, size: 32 },
    { kind: 'spanet', events: 8, jets: 6, layers: 2, width: 32, heads: 4 },
    { kind: 'clustering', eventsPerBatch: 4, hidden: 48 },
  ],
  plan: { warmup: 1, samples: 3, budgetMs: 5_000, minSamples: 3, targetSampleMs: 100, maxItersPerSample: 50 },
};

function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

async function main(): Promise<number> {
  const { mode, markdown, only, perDispatch } = parseArgs(process.argv.slice(2));
  const set = mode === 'quick' ? QUICK : mode === 'full' ? FULL : DEFAULT;
  const cases = selectCases(set.cases, only, mode);
  const { plan } = set;

  const root = fileURLToPath(new URL('..', import.meta.url));
  // The app's vite.config.ts is not loaded: the bench page needs no plugins, and listing
  // the tfjs packages up front stops Vite from reloading the page when it discovers them.
  // A cache of its own keeps the app's dev server from re-optimizing after every bench run.
  const server = await createServer({
    root,
    configFile: false,
    cacheDir: 'node_modules/.vite-bench',
    logLevel: 'warn',
    // Cross-origin isolation gives the page a fine performance.now() (Chromium rounds it to
    // 100 µs otherwise), which the per-step recording figures need.
    server: {
      host: '127.0.0.1',
      port: 0,
      strictPort: false,
      hmr: false,
      watch: null,
      headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
    },
    optimizeDeps: {
      entries: ['tools/bench/bench.html'],
      include: [
        '@tensorflow/tfjs-core',
        '@tensorflow/tfjs-core/dist/register_all_gradients',
        '@tensorflow/tfjs-backend-webgpu',
        '@jax-js/jax',
      ],
    },
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('Vite did not report a TCP port');
  const url = `http://127.0.0.1:${address.port}/tools/bench/bench.html`;

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => log(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') log(`page ${m.type()}: ${m.text()}`);
      else if (m.type() === 'info') log(m.text()); // the page's progress lines
    });
    // vite transforms the page on first load: minutes on a busy 2-core machine
    await page.goto(url, { timeout: 300_000 });
    await page.waitForFunction(() => window.bench !== undefined, null, { timeout: 120_000 });
    const pageInfo = await page.evaluate((o) => window.bench!.init(o), { perDispatch });
    log(`adapter ${JSON.stringify(pageInfo.adapter)}, tfjs backend ${pageInfo.tfjsBackend}`);

    const loadBefore = loadavg()[0];
    const results: CaseResult[] = [];
    const started = Date.now();
    for (const spec of cases) {
      const t0 = Date.now();
      const r = await page.evaluate(([s, p]) => window.bench!.run(s, p), [spec, plan] as const);
      const t = (x: { medianMs: number } | null) => (x ? `${x.medianMs.toFixed(3)} ms` : 'not run');
      log(`${r.check.ok ? '✓' : '✗'} ${r.label}: ours ${t(r.ours)}, tfjs ${t(r.tfjs)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
      results.push(r);
    }
    log(`cases took ${((Date.now() - started) / 1000).toFixed(0)} s`);

    const cpu = cpus();
    const info: RunInfo = {
      date: new Date().toISOString().slice(0, 10),
      machine: `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${process.platform} ${process.arch}`,
      browser: browser.version(),
      flags: FLAGS,
      mode,
      load: [loadBefore, loadavg()[0]],
      page: pageInfo,
    };
    process.stdout.write(markdown ? markdownReport(info, results) : plainReport(info, results));
    return results.every((r) => r.check.ok) ? 0 : 1;
  } finally {
    await browser.close();
    await server.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
