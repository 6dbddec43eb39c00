import { describe, expect, it } from 'vitest';
import { markdownReport, plainReport, type RunInfo } from '../../tools/bench/report';
import type { CaseResult } from '../../tools/bench/types';

const INFO: RunInfo = {
  date: '2026-11-24',
  machine: 'test',
  browser: 'x',
  flags: [],
  mode: 'quick',
  load: [1, 1],
  page: {
    userAgent: '',
    tfjsBackend: 'webgpu',
    tfjsVersion: '4.22.0',
    recordingMode: 'cached',
    isolated: true,
    adapter: { vendor: 'google', architecture: 'swiftshader', device: '', description: '', isFallbackAdapter: true },
  },
};
const timing = (ms: number, n = 3) => ({ medianMs: ms, samplesMs: Array(n).fill(ms), itersPerSample: 1 });

const OC: CaseResult = {
  id: 'oc-1-1',
  label: 'OC case',
  flops: 0,
  ours: timing(10),
  tfjs: null,
  skipped: { tfjs: 'out of memory: one N×K f32 matrix is 2000 MiB > maxBufferSize 1024 MiB' },
  ratio: NaN,
  ratios: [],
  check: { ok: true, detail: 'fine' },
  memory: { ours: 3 * 2 ** 20 },
  variants: [{ name: 'ours dense', timing: timing(40, 1), ratio: NaN, ratios: [], peakBytes: 2 ** 30 }],
};
const STEP: CaseResult = {
  id: 'net',
  label: 'net step',
  flops: 2e9,
  ours: timing(500),
  tfjs: timing(1000),
  ratio: 0.5,
  ratios: [0.5],
  check: { ok: false, detail: 'loss differs' },
  items: { count: 64, unit: 'events' },
  recording: {
    steps: 3,
    cached: { dispatches: 120, bindGroupsCreated: 0, uniformWrites: 1, dispatchMs: 0.42, stepMs: 1.5 },
    perDispatch: { dispatches: 120, bindGroupsCreated: 120, uniformWrites: 118, dispatchMs: 3.25, stepMs: 4.75 },
  },
};

describe('bench report', () => {
  const text = plainReport(INFO, [OC, STEP]);
  const line = (label: string) => text.split('\n').find((l) => l.startsWith(label))!;

  it('shows a side that did not run, and variants as their own rows', () => {
    expect(line('OC case ')).toMatch(/10\.0 +not run \(out of memory\) +– /);
    expect(line('OC case [ours dense]')).toMatch(/40\.0 \(1 step\) +not run \(out of memory\)/);
    expect(line('OC case [ours dense]')).toMatch(/ 1024 /); // MiB
    expect(text).toMatch(/tfjs not run: out of memory: one N×K f32 matrix is 2000 MiB/);
  });

  it('gives GFLOP/s, items per second and the agreement mark', () => {
    const l = line('net step');
    expect(l).toMatch(/ 0\.50 +4\.00 +2\.00 /);
    expect(l).toMatch(/128 \/ 64\.0 events +✗$/);
  });

  it('tables the recording cost of both paths next to the GPU time, for the cases that measured it', () => {
    const rec = text.split('\n').filter((l) => l.startsWith('net step ') && / 120 /.test(l));
    expect(rec).toHaveLength(1);
    expect(rec[0]).toMatch(/120 +500 +0\.420 +3\.25 +1\.50 +4\.75 +0 +120 +1 +118$/);
    expect(text.split('\n').filter((l) => l.startsWith('OC case ') && / 10\.0 +0/.test(l))).toHaveLength(0);
    expect(text).toMatch(/fine-grained \(cross-origin isolated page\)/);
  });

  it('writes the same rows as markdown', () => {
    const md = markdownReport(INFO, [OC, STEP]);
    expect(md).toMatch(/\| OC case \[ours dense\] \| 40\.0 \(1 step\) \|/);
    expect(md).toMatch(/\| net step \| 500 \| 1000 \| 0\.50 \|/);
    expect(md).toMatch(/\| net step \| 120 \| 500 \| 0\.420 \| 3\.25 \|/);
  });
});
