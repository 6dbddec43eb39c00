import { describe, expect, it } from 'vitest';
import { caseKey, parseArgs, selectCases } from '../../tools/bench/cli';
import type { CaseSpec } from '../../tools/bench/types';

const CASES: CaseSpec[] = [
  { kind: 'matmul', n: 256 },
  { kind: 'mlp', batch: 32, widths: [32, 64, 1] },
  { kind: 'oc', n: 10_000, k: 100, d: 8, plan: { samples: 2 } },
  { kind: 'oc', n: 10_000, k: 1000, d: 8 },
  { kind: 'uresnet', events: 1, size: 256 },
];

describe('bench options', () => {
  it('parses modes, markdown and --only lists', () => {
    expect(parseArgs([])).toEqual({ mode: 'default', markdown: false, only: [], perDispatch: false });
    expect(parseArgs(['--quick', '--markdown'])).toEqual({ mode: 'quick', markdown: true, only: [], perDispatch: false });
    expect(parseArgs(['--full', '--only', 'oc,uresnet', '--only=mlp'])).toEqual({
      mode: 'full',
      markdown: false,
      only: ['oc', 'uresnet', 'mlp'],
      perDispatch: false,
    });
    expect(parseArgs(['--per-dispatch', '--quick']).perDispatch).toBe(true);
  });

  it('rejects unknown options, a missing --only value and --quick with --full', () => {
    expect(() => parseArgs(['--fast'])).toThrow(/unknown option --fast/);
    expect(() => parseArgs(['--only'])).toThrow(/--only needs/);
    expect(() => parseArgs(['--only', '--quick'])).toThrow(/--only needs/);
    expect(() => parseArgs(['--quick', '--full'])).toThrow(/exclude/);
  });

  it('keys a case by kind and sizes, without its plan', () => {
    expect(caseKey(CASES[2])).toBe('oc-10000-100-8');
    expect(caseKey(CASES[1])).toBe('mlp-32-32x64x1');
  });

  it('selects by kind or key substring and refuses an empty selection', () => {
    expect(selectCases(CASES, [], 'default')).toBe(CASES);
    expect(selectCases(CASES, ['oc'], 'default')).toEqual([CASES[2], CASES[3]]);
    expect(selectCases(CASES, ['oc-10000-1000'], 'default')).toEqual([CASES[3]]);
    expect(selectCases(CASES, ['matmul', 'uresnet-1-256'], 'default')).toEqual([CASES[0], CASES[4]]);
    expect(() => selectCases(CASES, ['spanet'], 'quick')).toThrow(/matches no quick case/);
  });
});
