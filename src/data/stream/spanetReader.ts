/**
 * SPANet events for a stream: given entries (any order) of every dataset the event
 * description uses (or, without one, of every dataset of the file's layout). A batch's
 * entries are sorted into runs of consecutive entries and each dataset is read once per run
 * (one hyperslab read per dataset per run), so a sequential pass reads a few large slices
 * and a shuffled batch of B events reads at most B small ones. The payload is the padded
 * column form of the file (SpanetTables: [n · L] per feature with its MASK, the TARGETS
 * indices, MASK and WEIGHT, REGRESSIONS, CLASSIFICATIONS), the form prepareData takes, all
 * typed arrays (transferred between workers, not copied). The values are checked as
 * readSpanetEvents checks them, the error naming the file, the dataset and the entry.
 */
import { toFloat32, toFloat64 } from '../h5/decode';
import type { H5Source } from '../h5/source';
import { spanetLayout, spanetValueOk, type SpanetLayout } from '../spanet/reader';
import { SAFE_VALUES, unsafeValue } from '../values';
import type { SpanetTables } from '../../tasks/spanet/tables';
import { entryRuns } from './runs';
import { StreamDataError, type EntryReader } from './types';

/** A batch of events as the stream delivers it, with the file entry of each (payload order = requested order). */
export type SpanetPayload = SpanetTables & { entries: Uint32Array };

/** What to read: the datasets an event description uses (EventSpec has these fields). */
export interface SpanetSelection {
  inputs: { name: string; features: { name: string }[] }[];
  particles: { name: string; products: string[] }[];
  regressions: string[];
  classifications: string[];
}

export class SpanetEntryReader implements EntryReader<SpanetPayload> {
  readonly file: string;
  readonly entries: number;
  readonly layout: SpanetLayout;
  private plan: SpanetLayout;

  constructor(
    private src: H5Source,
    select?: SpanetSelection,
    layout: SpanetLayout = spanetLayout(src),
  ) {
    this.file = src.fileName;
    this.layout = layout;
    this.entries = layout.nEvents;
    this.plan = select ? selectLayout(layout, select, this.file) : layout;
  }

  read(entries: Uint32Array): SpanetPayload {
    for (const e of entries)
      if (e >= this.entries) throw new StreamDataError(this.file, null, e, `entry ${e} is beyond the file's ${this.entries} events`);
    const runs = entryRuns(entries);
    // row of each requested entry within the runs' concatenation (sorted, distinct)
    const rowOf = new Map<number, number>();
    let rows = 0;
    for (const r of runs) for (let e = r.start; e < r.end; e++) rowOf.set(e, rows++);
    const n = entries.length;
    const order = Int32Array.from(entries, (e) => rowOf.get(e)!);
    const seqL = this.layout.sources.find((s) => s.kind === 'sequential')?.maxLength;
    const f = this.file;
    /** Reads `path` run by run into [rows · width] (sorted order), the run's values decoded by `decode`. */
    const gather = <T extends Float32Array | Float64Array>(
      path: string,
      width: number,
      decode: (x: never) => T,
      make: (k: number) => T,
    ) => {
      const out = make(rows * width);
      let at = 0;
      for (const r of runs) {
        let v: T;
        try {
          v = decode(this.src.readNumeric(path, r.start, r.end - r.start) as never);
        } catch (e) {
          // a read that fails for the whole run (corrupt chunk): BatchReader bisects to the entry
          throw new StreamDataError(f, path, r.end - r.start === 1 ? r.start : null, e instanceof Error ? e.message : String(e));
        }
        out.set(v, at * width);
        at += r.end - r.start;
      }
      return out;
    };
    const f32 = (path: string, width: number) => gather(path, width, toFloat32 as never, (k) => new Float32Array(k));
    const f64 = (path: string, width: number) => gather(path, width, toFloat64 as never, (k) => new Float64Array(k));
    /** sorted row → entry, for messages */
    const sortedEntry = new Uint32Array(rows);
    for (const [e, r] of rowOf) sortedEntry[r] = e;
    const bad = (path: string, row: number, problem: string) => new StreamDataError(f, path, sortedEntry[row], problem);

    const sources: SpanetTables['sources'] = this.plan.sources.map((s) => {
      const g = `/INPUTS/${s.name}`;
      const L = s.maxLength;
      let mask: Uint8Array | undefined;
      if (s.kind === 'sequential') {
        const m = f64(`${g}/MASK`, L);
        mask = new Uint8Array(n * L);
        for (let i = 0; i < n; i++) for (let j = 0; j < L; j++) mask[i * L + j] = m[order[i] * L + j] ? 1 : 0;
      }
      const features: Record<string, Float32Array> = {};
      for (const feat of s.features) {
        const path = `${g}/${feat}`;
        const col = f32(path, L);
        const out = new Float32Array(n * L);
        for (let i = 0; i < n; i++) {
          const row = order[i];
          for (let j = 0; j < L; j++) {
            if (mask && !mask[i * L + j]) continue; // padding: zero, as tablesFromEvents pads
            const v = col[row * L + j];
            const why = unsafeValue(v);
            if (why) throw bad(path, row, `${mask ? `object ${j} ` : ''}is ${v} (${why}); expected ${SAFE_VALUES} where MASK is true`);
            out[i * L + j] = v;
          }
        }
        features[feat] = out;
      }
      return { name: s.name, kind: s.kind, maxLength: L, features, ...(mask ? { mask } : {}) };
    });

    const targets: SpanetTables['targets'] = {};
    let targetMasks: SpanetTables['targetMasks'];
    let targetWeights: SpanetTables['targetWeights'];
    const pick = <T extends Float32Array | Int32Array | Uint8Array>(v: ArrayLike<number>, make: (k: number) => T) => {
      const out = make(n);
      for (let i = 0; i < n; i++) out[i] = v[order[i]];
      return out;
    };
    for (const t of this.plan.targets) {
      targets[t.particle] = {};
      for (const p of t.products) {
        const path = `/TARGETS/${t.particle}/${p}`;
        const v = f64(path, 1);
        for (let row = 0; row < rows; row++) {
          const x = v[row];
          if (!spanetValueOk.jetIndex(x, seqL)) throw bad(path, row, `index ${x}; expected -1 or 0..${(seqL ?? 1) - 1}`);
        }
        targets[t.particle][p] = pick(v, (k) => new Int32Array(k));
      }
      if (t.hasMask) {
        const m = f64(`/TARGETS/${t.particle}/MASK`, 1);
        (targetMasks ??= {})[t.particle] = pick(
          Uint8Array.from(m, (x) => (x ? 1 : 0)),
          (k) => new Uint8Array(k),
        );
      }
      if (t.hasWeight) {
        const path = `/TARGETS/${t.particle}/WEIGHT`;
        const w = f32(path, 1);
        for (let row = 0; row < rows; row++)
          if (!spanetValueOk.weight(w[row])) throw bad(path, row, `weight ${w[row]}; expected finite weights ≥ 0`);
        (targetWeights ??= {})[t.particle] = pick(w, (k) => new Float32Array(k));
      }
    }
    const regressions: Record<string, Float32Array> = {};
    for (const k of this.plan.regressions) regressions[k] = pick(f32(`/REGRESSIONS/${k}`, 1), (m) => new Float32Array(m));
    const classifications: Record<string, Int32Array> = {};
    for (const k of this.plan.classifications) {
      const path = `/CLASSIFICATIONS/${k}`;
      const v = f64(path, 1);
      for (let row = 0; row < rows; row++) {
        const x = v[row];
        if (!spanetValueOk.classId(x)) throw bad(path, row, `class ${x}; expected integer class ids within int32, NaN for none`);
      }
      // NaN → -1, as tablesFromEvents
      classifications[k] = pick(
        Int32Array.from(v, (x) => (Number.isFinite(x) ? x : -1)),
        (m) => new Int32Array(m),
      );
    }
    return {
      nEvents: n,
      sources,
      targets,
      ...(targetMasks ? { targetMasks } : {}),
      ...(targetWeights ? { targetWeights } : {}),
      regressions,
      classifications,
      entries: Uint32Array.from(entries),
    };
  }
}

/** The layout restricted to the datasets `s` names; a dataset it names that the file lacks is an error naming it. */
function selectLayout(layout: SpanetLayout, s: SpanetSelection, file: string): SpanetLayout {
  const missing = (dataset: string, what: string) => new StreamDataError(file, dataset, null, `${what} is missing`);
  const sources = s.inputs.map((i) => {
    const src = layout.sources.find((x) => x.name === i.name);
    if (!src) throw missing(`/INPUTS/${i.name}`, 'the input');
    for (const f of i.features) if (!src.features.includes(f.name)) throw missing(`/INPUTS/${i.name}/${f.name}`, 'the feature');
    return { ...src, features: i.features.map((f) => f.name) };
  });
  const targets = s.particles.map((p) => {
    const t = layout.targets.find((x) => x.particle === p.name);
    if (!t) throw missing(`/TARGETS/${p.name}`, 'the particle');
    for (const q of p.products) if (!t.products.includes(q)) throw missing(`/TARGETS/${p.name}/${q}`, 'the product');
    return { ...t, products: [...p.products] };
  });
  for (const r of s.regressions) if (!layout.regressions.includes(r)) throw missing(`/REGRESSIONS/${r}`, 'the regression target');
  for (const c of s.classifications)
    if (!layout.classifications.includes(c)) throw missing(`/CLASSIFICATIONS/${c}`, 'the classification target');
  return { nEvents: layout.nEvents, sources, targets, regressions: [...s.regressions], classifications: [...s.classifications] };
}
