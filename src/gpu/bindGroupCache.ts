/**
 * Bind groups keyed by what they bind: the pipeline, the uniform slot and the storage
 * buffers, each by object identity. Pool buffers are reused from step to step, so a step
 * recorded again finds its bind groups here. Least recently used entries go beyond
 * `capacity`; entries naming a destroyed buffer go at once (evictBuffer).
 */
export class BindGroupCache {
  private entries = new Map<string, GPUBindGroup>();
  /** Keys of the entries that bind a buffer, by buffer id, for eviction on destroy. */
  private byBuffer = new Map<number, Set<string>>();
  private ids = new WeakMap<object, number>();
  private nextId = 1;
  created = 0;
  reused = 0;

  constructor(readonly capacity = 8192) {}

  /** A small integer naming `obj` (pipelines, buffers) for cache keys. */
  idOf(obj: object): number {
    let id = this.ids.get(obj);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(obj, id);
    }
    return id;
  }

  /** The cached bind group for `key`, or the one `make` creates (then cached). */
  get(key: string, bufferIds: number[], make: () => GPUBindGroup): GPUBindGroup {
    const hit = this.entries.get(key);
    if (hit) {
      // Re-insert: a Map iterates in insertion order, so the first key is the least recent.
      this.entries.delete(key);
      this.entries.set(key, hit);
      this.reused++;
      return hit;
    }
    const group = make();
    this.created++;
    this.entries.set(key, group);
    for (const id of bufferIds) {
      let keys = this.byBuffer.get(id);
      if (!keys) this.byBuffer.set(id, (keys = new Set()));
      keys.add(key);
    }
    if (this.entries.size > this.capacity) this.delete(this.entries.keys().next().value!);
    return group;
  }

  /** Drops every entry that binds `buffer` (it is being destroyed). */
  evictBuffer(buffer: GPUBuffer): void {
    const id = this.ids.get(buffer);
    if (id === undefined) return;
    const keys = this.byBuffer.get(id);
    if (!keys) return;
    for (const key of [...keys]) this.delete(key);
    this.byBuffer.delete(id);
  }

  private delete(key: string): void {
    if (!this.entries.delete(key)) return;
    // The key lists its buffer ids after the last '|'.
    for (const part of key.slice(key.lastIndexOf('|') + 1).split(',')) {
      const keys = this.byBuffer.get(Number(part));
      keys?.delete(key);
      if (keys && !keys.size) this.byBuffer.delete(Number(part));
    }
  }

  clear(): void {
    this.entries.clear();
    this.byBuffer.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
