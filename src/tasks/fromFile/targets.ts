/**
 * Checks of per-set / per-event training targets read from a file, shared by the page (which
 * shows the notes next to the data before training) and the training worker (which converts).
 * Nothing is changed silently: a dropped target or an odd class is either an error or a note.
 */
import { DataFileError } from '../../data/errors';
import { SAFE_VALUES, unsafeValue } from '../../data/values';

/** More classes than a classification head is allowed to have. */
export const MAX_CLASSES = 1024;
const FIRST = 5;

export interface TargetWhere {
  file: string;
  dataset: string;
  /** what one target belongs to: 'set' or 'event' */
  item: string;
}

export interface TargetCheck {
  /** indices of the items with a target (NaN = none) */
  keep: number[];
  /** sorted distinct class values (classification only) */
  classes: number[];
  notes: string[];
}

const n = (k: number, item: string) => `${k} ${item}${k === 1 ? '' : 's'}`;
const list = (xs: (number | string)[]) => xs.slice(0, FIRST).join(', ') + (xs.length > FIRST ? `, … (${xs.length} in all)` : '');

/**
 * NaN means "no target" and the item is left out (counted in a note); ±Inf or a value too
 * large for float32 training is an error naming the file, dataset and item. For class
 * targets, the classes found are reported, and see classNotes.
 */
export function checkTargets(
  raw: ArrayLike<number>,
  kind: 'regression' | 'classification',
  where: TargetWhere,
  classMode: 'relabel' | 'ids' = 'relabel',
): TargetCheck {
  const keep: number[] = [];
  const missing: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i]!;
    if (Number.isNaN(v)) {
      missing.push(i);
      continue;
    }
    const bad = unsafeValue(v);
    if (bad)
      throw new DataFileError({
        code: bad,
        file: where.file,
        dataset: where.dataset,
        problem: `${where.item} ${i}: target ${v}`,
        expected: `${SAFE_VALUES}, or NaN for a ${where.item} without a target`,
      });
    keep.push(i);
  }
  const notes: string[] = [];
  if (missing.length)
    notes.push(
      `${missing.length} of ${raw.length} ${where.item}s have no target (NaN) in ${where.dataset} and are left out (${where.item}s ${list(missing)})`,
    );
  if (!keep.length)
    throw new DataFileError({
      code: 'nan',
      file: where.file,
      dataset: where.dataset,
      problem: `no ${where.item} has a finite target`,
      expected: 'at least one finite target',
    });
  let classes: number[] = [];
  if (kind === 'classification') {
    const counts = new Map<number, number>();
    for (const i of keep) counts.set(raw[i]!, (counts.get(raw[i]!) ?? 0) + 1);
    classes = [...counts.keys()].sort((a, b) => a - b);
    notes.push(...classNotes(classes, counts, where, classMode));
  }
  return { keep, classes, notes };
}

/**
 * What the class values found mean for the head. `relabel`: classes become 0..C-1 in sorted
 * order (Deep Sets); `ids`: the values are the class ids and the head has max + 1 outputs
 * (SPANet). A head of more than MAX_CLASSES classes is an error; one more than twice the
 * number of distinct values, or a value at least twice the number of classes away from the
 * others (a stray code such as 99 among 0, 1, 2), is a note.
 */
export function classNotes(classes: number[], counts: Map<number, number>, where: TargetWhere, mode: 'relabel' | 'ids'): string[] {
  const found = classes.map((c) => `${c} (${n(counts.get(c)!, where.item)})`);
  const head = mode === 'ids' ? Math.max(2, classes[classes.length - 1]! + 1) : Math.max(2, classes.length);
  if (head > MAX_CLASSES)
    throw new DataFileError({
      code: 'out-of-range',
      file: where.file,
      dataset: where.dataset,
      problem:
        mode === 'ids'
          ? `class id ${classes[classes.length - 1]} would make a ${head}-class head (${classes.length} distinct values: ${list(classes)})`
          : `${classes.length} distinct class values (${list(classes)})`,
      expected: `at most ${MAX_CLASSES} classes`,
    });
  const notes = [
    mode === 'ids'
      ? `${where.dataset}: classes ${list(found)}: a ${head}-class head`
      : `${where.dataset}: classes ${list(found)} → ${head} classes 0..${head - 1}`,
  ];
  const far = farOut(classes);
  if ((mode === 'ids' && head > 2 * classes.length) || far.length) {
    const what = far.length
      ? `value${far.length > 1 ? 's' : ''} ${far.map((c) => `${c} (${n(counts.get(c)!, where.item)})`).join(', ')} far from the others`
      : 'gaps between the class ids';
    notes.push(
      mode === 'ids'
        ? `warning: ${where.dataset} has ${classes.length} distinct classes but a ${head}-class head (${what}); check for stray codes`
        : `warning: ${where.dataset} has ${what}; check for stray codes`,
    );
  }
  return notes;
}

/** Values at least 2·C beyond their nearest neighbour among the C distinct classes. */
function farOut(classes: number[]): number[] {
  const gap = 2 * classes.length;
  if (classes.length < 2) return [];
  return classes.filter((c, i) => {
    const lo = i > 0 ? c - classes[i - 1]! : Infinity;
    const hi = i < classes.length - 1 ? classes[i + 1]! - c : Infinity;
    return Math.min(lo, hi) >= gap;
  });
}
