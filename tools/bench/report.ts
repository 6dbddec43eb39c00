import { fmt } from './agreement';
import type { CaseResult, PageInfo, SideTiming } from './types';

export interface RunInfo {
  date: string;
  machine: string;
  browser: string;
  flags: string[];
  mode: 'default' | 'full' | 'quick';
  /** 1-minute load averages before and after: the machine may be shared. */
  load: [number, number];
  page: PageInfo;
}

const HEADERS = [
  'case',
  'ours ms',
  'tfjs ms',
  'ours / tfjs',
  'ours GFLOP/s',
  'tfjs GFLOP/s',
  'ours MiB',
  'tfjs MiB',
  'items/s ours / tfjs',
  'agree',
];

function ms(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3);
}

/** A side's cell: its median, "capped" when its one warm step was its only sample, or why it did not run. */
function timeCell(t: SideTiming | null, skipped: string | undefined): string {
  if (!t) return skipped ? `not run (${shortReason(skipped)})` : '–';
  return t.samplesMs.length === 1 ? `${ms(t.medianMs)} (1 step)` : ms(t.medianMs);
}

/** The table gets the reason's first words; the details line has all of it. */
function shortReason(why: string): string {
  const head = why.split(/[:;(]/)[0].trim();
  return head.length > 40 ? `${head.slice(0, 39)}…` : head;
}

const mib = (b: number | undefined) => (b === undefined ? '–' : (b / 2 ** 20).toFixed(b >= 2 ** 24 ? 0 : 1));
const ratioCell = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');

function perSecond(count: number, t: SideTiming | null | undefined): string {
  if (!t) return '–';
  const x = count / (t.medianMs * 1e-3);
  return x >= 100 ? x.toFixed(0) : x.toPrecision(3);
}

function rows(r: CaseResult): string[][] {
  const gflops = (t: SideTiming | null) => (r.flops > 0 && t ? (r.flops / (t.medianMs * 1e-3) / 1e9).toFixed(2) : '–');
  const items = (t: SideTiming | null) =>
    r.items ? `${perSecond(r.items.count, t)} / ${perSecond(r.items.count, r.tfjs)} ${r.items.unit}` : '–';
  const main = [
    r.label,
    timeCell(r.ours, r.skipped?.ours),
    timeCell(r.tfjs, r.skipped?.tfjs),
    ratioCell(r.ratio),
    gflops(r.ours),
    gflops(r.tfjs),
    mib(r.memory?.ours),
    mib(r.memory?.tfjs),
    items(r.ours),
    r.check.ok ? '✓' : '✗',
  ];
  const variants = (r.variants ?? []).map((v) => [
    `${r.label} [${v.name}]`,
    timeCell(v.timing, v.skipped),
    timeCell(r.tfjs, r.skipped?.tfjs),
    ratioCell(v.ratio),
    gflops(v.timing),
    gflops(r.tfjs),
    mib(v.peakBytes),
    mib(r.memory?.tfjs),
    items(v.timing),
    r.check.ok ? '✓' : '✗',
  ]);
  return [main, ...variants];
}

const REC_HEADERS = [
  'case',
  'dispatches / step',
  'ours GPU ms / step',
  'dispatch() ms: cached',
  'per-dispatch',
  'step CPU ms: cached',
  'per-dispatch',
  'new bind groups / step: cached',
  'per-dispatch',
  'uniform writes / step: cached',
  'per-dispatch',
];

const count = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));

/** One row per case that measured recording: the CPU side of a step, both paths. */
function recordingRows(results: CaseResult[]): string[][] {
  return results
    .filter((r) => r.recording)
    .map((r) => {
      const { cached: c, perDispatch: p } = r.recording!;
      return [
        r.label,
        count(c.dispatches),
        r.ours ? ms(r.ours.medianMs) : '–',
        ms(c.dispatchMs),
        ms(p.dispatchMs),
        ms(c.stepMs),
        ms(p.stepMs),
        count(c.bindGroupsCreated),
        count(p.bindGroupsCreated),
        count(c.uniformWrites),
        count(p.uniformWrites),
      ];
    });
}

function recordingNote(info: RunInfo): string {
  return (
    `recording (ours, ${info.page.recordingMode === 'cached' ? 'timed on the cached path' : 'timed on the per-dispatch path'}): ` +
    `each path records the case's step a few times after timing and a warm-up on the cached path (until a step creates no bind group, at most 24 steps or 5 s), each step alone (queue idle before and after); ` +
    `"dispatch() ms" = CPU time inside GpuContext.dispatch per step, "step CPU ms" = the whole step() call (ops, tape, dispatches, submit) without the GPU wait; ` +
    `cached = uniforms packed into one upload per submit and bind groups reused, per-dispatch = a uniform buffer, writeBuffer and bind group per dispatch; ` +
    `performance.now() ${info.page.isolated ? 'fine-grained (cross-origin isolated page)' : 'coarse (page not cross-origin isolated)'}`
  );
}

export function adapterLine(p: PageInfo): string {
  const a = p.adapter;
  const parts = [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' / ') || 'unnamed adapter';
  return `${parts}${a.isFallbackAdapter ? ' (fallback adapter)' : ''}`;
}

/** SwiftShader runs the shaders on the CPU: its timings rank implementations, not GPUs. */
export function isCpuAdapter(p: PageInfo): boolean {
  return p.adapter.isFallbackAdapter || /swiftshader/i.test(`${p.adapter.architecture} ${p.adapter.description}`);
}

const CPU_NOTE =
  'The adapter is SwiftShader, a CPU implementation: these times measure CPU execution of the ' +
  'shaders and say nothing about speed on a GPU. Only the ratios (same page, same adapter, same inputs) are comparable.';

function describe(info: RunInfo): string[] {
  return [
    `date: ${info.date}`,
    `machine: ${info.machine}`,
    `browser: ${info.browser} (headless), flags: ${info.flags.join(' ')}`,
    `adapter: ${adapterLine(info.page)}`,
    `tfjs: @tensorflow/tfjs-core ${info.page.tfjsVersion}, backend "${info.page.tfjsBackend}"`,
    `mode: ${info.mode}; ms = median over samples of wall time per step, each sample ending with the GPU queue idle; ` +
      `ours / tfjs = median of the ratios of back-to-back sample pairs; "(1 step)" = one step over the case's time cap, not sampled further; ` +
      `MiB = peak GPU buffer bytes in use during one step (ours: buffer pool; tfjs: its buffer manager, tf.memory().numBytesInGPU)`,
    `load average (1 min) before / after: ${info.load.map((x) => x.toFixed(2)).join(' / ')}`,
  ];
}

const samplesOf = (t: SideTiming | null) => (t ? `${t.itersPerSample} steps × [${t.samplesMs.map(fmt).join(', ')}] ms` : 'not run');

function details(results: CaseResult[]): string[] {
  return results.map((r) => {
    const parts = [
      `${r.check.ok ? '✓' : '✗'} ${r.id}: ${r.check.detail}`,
      `ours ${samplesOf(r.ours)}`,
      ...(r.variants ?? []).map((v) => `${v.name} ${samplesOf(v.timing)}${v.skipped ? ` (${v.skipped})` : ''}`),
      `tfjs ${samplesOf(r.tfjs)}`,
      `ratios [${r.ratios.map(fmt).join(', ')}]`,
    ];
    if (r.skipped?.ours) parts.push(`ours not run: ${r.skipped.ours}`);
    if (r.skipped?.tfjs) parts.push(`tfjs not run: ${r.skipped.tfjs}`);
    return parts.join('; ');
  });
}

function alignedTable(table: string[][]): string[] {
  const widths = table[0].map((_, c) => Math.max(...table.map((r) => [...r[c]].length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(table[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...table.slice(1).map(line)];
}

export function plainReport(info: RunInfo, results: CaseResult[]): string {
  const out = [...describe(info), '', ...alignedTable([HEADERS, ...results.flatMap(rows)]), ''];
  const rec = recordingRows(results);
  if (rec.length) out.push(recordingNote(info), '', ...alignedTable([REC_HEADERS, ...rec]), '');
  out.push(...extraSections(results, alignedTable, (x) => x));
  out.push(...details(results));
  if (isCpuAdapter(info.page)) out.push('', `NOTE: ${CPU_NOTE}`);
  return out.join('\n') + '\n';
}

export function markdownReport(info: RunInfo, results: CaseResult[]): string {
  const cells = (r: string[]) => `| ${r.join(' | ')} |`;
  const out = [
    ...describe(info).map((l) => `- ${l}`),
    '',
    cells(HEADERS),
    cells(HEADERS.map((_, i) => (i === 0 ? '---' : '---:'))),
    ...results.flatMap(rows).map(cells),
    '',
  ];
  const rec = recordingRows(results);
  if (rec.length) {
    out.push(
      `- ${recordingNote(info)}`,
      '',
      cells(REC_HEADERS),
      cells(REC_HEADERS.map((_, i) => (i === 0 ? '---' : '---:'))),
      ...rec.map(cells),
      '',
    );
  }
  const mdTable = (t: string[][]) => [cells(t[0]), cells(t[0].map((_, i) => (i === 0 ? '---' : '---:'))), ...t.slice(1).map(cells)];
  out.push(...extraSections(results, mdTable, (x) => `- ${x}`));
  out.push(...details(results).map((l) => `- ${l}`));
  if (isCpuAdapter(info.page)) out.push('', `> ${CPU_NOTE}`);
  return out.join('\n') + '\n';
}

// ---- second peer (jax-js) and per-kernel profiles ------------------------------------------

/** ours / peer per round (samples of the same round are back to back), then the median. */
function pairedRatio(a: SideTiming | null, b: SideTiming | null): number {
  if (!a || !b) return NaN;
  const n = Math.min(a.samplesMs.length, b.samplesMs.length);
  const rs = a.samplesMs
    .slice(0, n)
    .map((x, i) => x / b.samplesMs[i])
    .sort((x, y) => x - y);
  if (!rs.length) return NaN;
  const m = rs.length >> 1;
  return rs.length % 2 ? rs[m] : (rs[m - 1] + rs[m]) / 2;
}

const PEER_HEADERS = [
  'case',
  'ours ms',
  'jax-js ms',
  'tfjs ms',
  'ours / jax-js',
  'ours / tfjs',
  'jax-js / tfjs',
  'ours GFLOP/s',
  'jax-js GFLOP/s',
];

function peerRows(results: CaseResult[]): string[][] {
  return results.flatMap((r) => {
    const v = r.variants?.find((x) => x.name === 'jax-js');
    if (!v) return [];
    const gf = (t: SideTiming | null) => (r.flops > 0 && t ? (r.flops / (t.medianMs * 1e-3) / 1e9).toFixed(2) : '–');
    return [
      [
        r.label,
        timeCell(r.ours, r.skipped?.ours),
        timeCell(v.timing, v.skipped),
        timeCell(r.tfjs, r.skipped?.tfjs),
        ratioCell(pairedRatio(r.ours, v.timing)),
        ratioCell(r.ratio),
        ratioCell(v.ratio),
        gf(r.ours),
        gf(v.timing),
      ],
    ];
  });
}

const PROFILE_TOP = 6;
const PROFILE_HEADERS = ['case', 'kernel', 'calls', 'GPU ms', '% of step', 'GFLOP/s', 'GB/s', '% of peak'];

const num = (x: number | null, digits = 2) => (x === null ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(digits));

/** The top kernels of each profiled case by GPU time (one step, a timed pass per dispatch). */
function profileRows(results: CaseResult[]): string[][] {
  return results
    .filter((r) => r.profile)
    .flatMap((r) => {
      const p = r.profile!;
      const top = p.kernels.slice(0, PROFILE_TOP);
      const rest = p.kernels.slice(PROFILE_TOP);
      const pct = (ms: number | null) => (ms !== null && p.gpuMs ? `${((100 * ms) / p.gpuMs).toFixed(1)}` : '–');
      const peakPct = (gflops: number | null) => (gflops !== null && p.peak ? `${((100 * gflops) / p.peak.gflops).toFixed(1)}` : '–');
      const rows = top.map((k, i) => [
        i === 0 ? `${r.label} (${p.dispatches} dispatches, GPU ${num(p.gpuMs)} ms, wall ${num(p.wallMs)} ms)` : '',
        k.kernel,
        String(k.calls),
        num(k.ms, 3),
        pct(k.ms),
        num(k.gflops),
        num(k.gbps),
        peakPct(k.gflops),
      ]);
      if (rest.length) {
        const ms = p.timer === 'timestamp' ? rest.reduce((x, k) => x + (k.ms ?? 0), 0) : null;
        rows.push(['', `${rest.length} other kernels`, String(rest.reduce((x, k) => x + k.calls, 0)), num(ms, 3), pct(ms), '–', '–', '–']);
      }
      return rows;
    });
}

function profileNote(results: CaseResult[]): string {
  const p = results.find((r) => r.profile)?.profile;
  const peak = p?.peak
    ? `peak: ${p.peak.source}`
    : 'peak: not known for this adapter (WebGPU reports none; src/gpu/profiler.ts lists datasheet figures of a few GPUs)';
  return (
    `profile (ours, one step after timing, ${p?.timer === 'timestamp' ? 'timestamp-query around each dispatch in a compute pass of its own' : 'no timestamp-query on this device: calls only'}): ` +
    `top ${PROFILE_TOP} kernels by GPU time; GFLOP/s and GB/s where the launcher reports its work (matmul: 2·M·N·K flops, operands read once and C written once); ${peak}`
  );
}

/** The jax-js and profile sections, appended by plainReport/markdownReport. */
function extraSections(results: CaseResult[], table: (rows: string[][]) => string[], note: (s: string) => string): string[] {
  const out: string[] = [];
  const peers = peerRows(results);
  if (peers.length) {
    out.push(
      note(
        'second peer: jax-js (@jax-js/jax, WebGPU device) timed in the same rounds as ours and tfjs; ours / jax-js = median of the per-round ratios',
      ),
      '',
      ...table([PEER_HEADERS, ...peers]),
      '',
    );
  }
  const prof = profileRows(results);
  if (prof.length) out.push(note(profileNote(results)), '', ...table([PROFILE_HEADERS, ...prof]), '');
  return out;
}
