/** Option parsing and case selection of scripts/bench.ts (pure, so they can be unit-tested). */
import type { CaseSpec } from './types';

export type BenchMode = 'default' | 'full' | 'quick';

export const USAGE = 'options: --quick | --full, --markdown, --only <kind or id substring>[,<another>], --per-dispatch';

export interface BenchArgs {
  mode: BenchMode;
  markdown: boolean;
  /** Kinds or size substrings; empty = every case of the mode. */
  only: string[];
  /** Time ours on the old recording path (a uniform buffer and bind group per dispatch). */
  perDispatch: boolean;
}

/** Throws on anything it does not know, so a typo does not silently run the whole bench. */
export function parseArgs(argv: string[]): BenchArgs {
  let mode: BenchMode = 'default';
  let markdown = false;
  const only: string[] = [];
  let perDispatch = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick' || a === '--full') {
      const m = a === '--quick' ? 'quick' : 'full';
      if (mode !== 'default' && mode !== m) throw new Error(`--quick and --full exclude each other (${USAGE})`);
      mode = m;
    } else if (a === '--markdown') {
      markdown = true;
    } else if (a === '--per-dispatch') {
      perDispatch = true;
    } else if (a === '--only' || a.startsWith('--only=')) {
      const v = a === '--only' ? argv[++i] : a.slice('--only='.length);
      if (!v || v.startsWith('--')) throw new Error(`--only needs a case kind or id (${USAGE})`);
      only.push(
        ...v
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      );
    } else {
      throw new Error(`unknown option ${a} (${USAGE})`);
    }
  }
  return { mode, markdown, only, perDispatch };
}

/** "kind-size-size…" of a case, e.g. oc-10000-100-8 (the plan override is not part of it). */
export function caseKey(c: CaseSpec): string {
  const { plan: _plan, ...fields } = c;
  return Object.values(fields)
    .map((v) => (Array.isArray(v) ? v.join('x') : String(v)))
    .join('-');
}

/** A case is kept when its kind equals, or its key contains, one of `only`. */
export function selectCases(cases: CaseSpec[], only: string[], mode: BenchMode): CaseSpec[] {
  if (!only.length) return cases;
  const kept = cases.filter((c) => only.some((o) => c.kind === o || caseKey(c).includes(o)));
  if (!kept.length) {
    const kinds = [...new Set(cases.map((c) => c.kind))].join(', ');
    throw new Error(`--only ${only.join(',')} matches no ${mode} case (kinds: ${kinds})`);
  }
  return kept;
}
