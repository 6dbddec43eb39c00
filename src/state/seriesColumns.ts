/**
 * Training scalars stored by column: one Float64Array per metric (plus step and wall time),
 * grown by doubling, so appending a point is O(1) amortised and a run of 10⁶ steps costs
 * ~20 reallocations instead of copying every point on every message. A metric missing from a
 * point (or first reported later) reads NaN there.
 */
export interface ScalarPoint {
  step: number;
  wallMs: number;
  values: Record<string, number>;
}

const INITIAL_CAPACITY = 256;

export class SeriesColumns {
  private capacity = INITIAL_CAPACITY;
  private count = 0;
  private stepCol = new Float64Array(INITIAL_CAPACITY);
  private wallCol = new Float64Array(INITIAL_CAPACITY);
  private cols = new Map<string, Float64Array>();
  /** Buffer reallocations so far (each doubles every column): the cost of appending. */
  reallocations = 0;

  get length(): number {
    return this.count;
  }

  /** Metric names in the order they first appeared. */
  names(): string[] {
    return [...this.cols.keys()];
  }

  has(name: string): boolean {
    return this.cols.has(name);
  }

  append(points: readonly ScalarPoint[]): void {
    for (const p of points) this.appendOne(p);
  }

  appendOne(p: ScalarPoint): void {
    if (this.count === this.capacity) this.grow();
    const i = this.count;
    this.stepCol[i] = p.step;
    this.wallCol[i] = p.wallMs;
    for (const name in p.values) {
      let col = this.cols.get(name);
      if (!col) {
        col = new Float64Array(this.capacity).fill(NaN);
        this.cols.set(name, col);
      }
      col[i] = p.values[name];
    }
    // Metrics absent from this point keep the NaN their column was filled with.
    this.count = i + 1;
  }

  /** Views (no copy) of the first `length` entries; valid until the next append. */
  steps(): Float64Array {
    return this.stepCol.subarray(0, this.count);
  }
  wallMs(): Float64Array {
    return this.wallCol.subarray(0, this.count);
  }
  column(name: string): Float64Array | null {
    return this.cols.get(name)?.subarray(0, this.count) ?? null;
  }

  /** The latest point's values of every metric that is finite there. */
  last(): Record<string, number> {
    const out: Record<string, number> = {};
    if (this.count === 0) return out;
    for (const [name, col] of this.cols) {
      const v = col[this.count - 1];
      if (!Number.isNaN(v)) out[name] = v;
    }
    return out;
  }

  /** Wall time (ms) of the first point at or after `step` (the last point when none is); binary search. */
  wallAtStep(step: number): number | undefined {
    if (this.count === 0) return undefined;
    let lo = 0;
    let hi = this.count - 1;
    if (this.stepCol[hi] < step) return this.wallCol[hi];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.stepCol[mid] >= step) hi = mid;
      else lo = mid + 1;
    }
    return this.wallCol[lo];
  }

  private grow(): void {
    const cap = this.capacity * 2;
    const widen = (a: Float64Array, fill: number) => {
      const b = new Float64Array(cap);
      b.set(a);
      if (fill !== 0) b.fill(fill, this.capacity);
      return b;
    };
    this.stepCol = widen(this.stepCol, 0);
    this.wallCol = widen(this.wallCol, 0);
    for (const [name, col] of this.cols) this.cols.set(name, widen(col, NaN));
    this.capacity = cap;
    this.reallocations++;
  }
}
