/**
 * Helpers of the memory benchmark (scripts/bench-memory.spec.ts, e2e/stream-memory.spec.ts):
 * a large jagged-sets file written by h5py, and the memory of a process tree read from /proc
 * (RSS, and PSS, which splits shared pages between the processes that map them so a sum over
 * processes does not count a shared library once per process).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export const PY = '/usr/bin/python3';

/**
 * A generic jagged-sets file (`/sets/x0`, `/sets/x1`, `/sets/offsets`, `/target`) of `sets`
 * sets of `setSize` elements: 8 bytes per element, so 1.1 M sets of 1,000 make 8.8 GB.
 * Contiguous columns without a fill value: h5py writes the first and last `written` sets and the
 * rest stays a hole of the file system (reads as zeros, takes no disk), so the file takes about
 * a second to write whatever its size. Offsets and targets are written whole.
 */
export function writeLargeSets(path: string, sets: number, setSize = 1000, written = 2000): void {
  const gen = `
import sys, numpy as np, h5py
path, S, N, W = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
E = S * N
with h5py.File(path, 'w') as f:
    x0 = f.create_dataset('sets/x0', shape=(E,), dtype='<f4')
    x1 = f.create_dataset('sets/x1', shape=(E,), dtype='<f4')
    f.create_dataset('sets/offsets', data=np.arange(N + 1, dtype='<i8') * S)
    f.create_dataset('target', data=(np.arange(N) % 97 / 97).astype('<f4'))
    for lo in (0, N - W):
        k = np.arange(lo, lo + W, dtype=np.float64)
        j = np.arange(S, dtype=np.float64)
        x0[lo * S:(lo + W) * S] = np.broadcast_to((k[:, None] % 97) / 97, (W, S)).astype('<f4').ravel()
        x1[lo * S:(lo + W) * S] = np.broadcast_to(j[None, :] / S, (W, S)).astype('<f4').ravel()
`;
  const r = spawnSync(PY, ['-c', gen, path, String(setSize), String(sets), String(written)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`h5py failed: ${r.stderr}`);
}

export const hasH5py = () => spawnSync(PY, ['-c', 'import h5py'], { encoding: 'utf8' }).status === 0;

export interface ProcMemory {
  pid: number;
  /** Chromium's --type (renderer, gpu-process, utility, zygote) or 'browser' / the command. */
  kind: string;
  rssMiB: number;
  pssMiB: number;
}

function kib(text: string, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** Every descendant of `root` (and root itself when `self`), with its memory now. */
export function treeMemory(root: number, self = false): ProcMemory[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // the command name may hold spaces and parentheses: fields start after the last ')'
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(d), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const within = (pid: number) => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = parent.get(p) ?? 0, hops++) if (p === root) return pid !== root || self;
    return false;
  };
  const out: ProcMemory[] = [];
  for (const pid of parent.keys()) {
    if (!within(pid)) continue;
    try {
      // Chromium's zygote children rewrite their command line as one space-separated string
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/);
      const type = cmd.find((a) => a.startsWith('--type='))?.slice(7);
      const kind = type ?? (/chrom/.test(cmd[0]) ? 'browser' : cmd.slice(0, 2).join(' ').slice(-60));
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      let pss = 0;
      try {
        pss = kib(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss');
      } catch {
        pss = 0;
      }
      out.push({ pid, kind, rssMiB: kib(status, 'VmRSS') / 1024, pssMiB: pss / 1024 });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Sums by kind. */
export function byKind(procs: ProcMemory[]): Record<string, { rssMiB: number; pssMiB: number; n: number }> {
  const out: Record<string, { rssMiB: number; pssMiB: number; n: number }> = {};
  for (const p of procs) {
    const o = (out[p.kind] ??= { rssMiB: 0, pssMiB: 0, n: 0 });
    o.rssMiB += p.rssMiB;
    o.pssMiB += p.pssMiB;
    o.n++;
  }
  return out;
}

/** Samples `fn` every `ms` until stopped; keeps the peak of each key and the last sample. */
export class Sampler {
  peak: Record<string, number> = {};
  last: Record<string, number> = {};
  samples = 0;
  private timer: ReturnType<typeof setInterval>;
  constructor(
    private fn: () => Record<string, number>,
    ms = 250,
  ) {
    this.take();
    this.timer = setInterval(() => this.take(), ms);
  }
  /** Every sample, for the run's profile (quarters()). */
  history: Record<string, number>[] = [];
  take(): void {
    const v = this.fn();
    this.samples++;
    this.last = v;
    this.history.push(v);
    for (const [k, x] of Object.entries(v)) this.peak[k] = Math.max(this.peak[k] ?? 0, x);
  }
  stop(): void {
    clearInterval(this.timer);
    this.take();
  }
  /** The peak of `key` in each quarter of the run: flat from the second quarter on = bounded, rising = growing. */
  quarters(key: string): number[] {
    const h = this.history;
    return [0, 1, 2, 3].map((q) =>
      Math.round(Math.max(0, ...h.slice(Math.floor((q * h.length) / 4), Math.floor(((q + 1) * h.length) / 4)).map((v) => v[key] ?? 0))),
    );
  }
}
