import { fmt } from './agreement';
import type { CaseResult, PageInfo } from './types';

export interface RunInfo {
  date: string;
  machine: string;
  browser: string;
  flags: string[];
  mode: 'full' | 'quick';
  /** 1-minute load averages before and after: the machine may be shared. */
  load: [number, number];
  page: PageInfo;
}

const HEADERS = ['case', 'ours ms', 'tfjs ms', 'ours / tfjs', 'ours GFLOP/s', 'tfjs GFLOP/s', 'agree'];

function ms(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3);
}

function row(r: CaseResult): string[] {
  const gflops = (t: number) => (r.flops / (t * 1e-3) / 1e9).toFixed(2);
  return [
    r.label,
    ms(r.ours.medianMs),
    ms(r.tfjs.medianMs),
    r.ratio.toFixed(2),
    gflops(r.ours.medianMs),
    gflops(r.tfjs.medianMs),
    r.check.ok ? '✓' : '✗',
  ];
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
      `ours / tfjs = median of the ratios of back-to-back sample pairs`,
    `load average (1 min) before / after: ${info.load.map((x) => x.toFixed(2)).join(' / ')}`,
  ];
}

function details(results: CaseResult[]): string[] {
  return results.map(
    (r) =>
      `${r.check.ok ? '✓' : '✗'} ${r.id}: ${r.check.detail}; steps per sample ours ${r.ours.itersPerSample}, ` +
      `tfjs ${r.tfjs.itersPerSample}; samples ours [${r.ours.samplesMs.map(fmt).join(', ')}] ms, ` +
      `tfjs [${r.tfjs.samplesMs.map(fmt).join(', ')}] ms, ratios [${r.ratios.map(fmt).join(', ')}]`,
  );
}

export function plainReport(info: RunInfo, results: CaseResult[]): string {
  const rows = [HEADERS, ...results.map(row)];
  const widths = HEADERS.map((_, c) => Math.max(...rows.map((r) => [...r[c]].length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  const out = [...describe(info), '', line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line), ''];
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
    ...results.map((r) => cells(row(r))),
    '',
    ...details(results).map((l) => `- ${l}`),
  ];
  if (isCpuAdapter(info.page)) out.push('', `> ${CPU_NOTE}`);
  return out.join('\n') + '\n';
}
