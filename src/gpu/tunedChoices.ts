/**
 * A tuner's choices per shape class, kept across page loads in localStorage under a key of the
 * adapter (vendor, architecture, device, description), so each adapter tunes once. Absent
 * storage (Node, a denied or full store) only means choices are not remembered.
 */
import type { GpuContext } from './context';

function localStore(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

function storageKey(prefix: string, g: GpuContext): string {
  const a = g.adapter;
  return `${prefix}${a.vendor}/${a.architecture}/${a.device}/${a.description}`;
}

/** Saved choices of this adapter, each name turned back into a choice; unknown names are dropped. */
export function loadChoices<C>(prefix: string, g: GpuContext, fromName: (name: string) => C | undefined | null): Map<string, C> {
  const choices = new Map<string, C>();
  const saved = localStore()?.getItem(storageKey(prefix, g));
  if (!saved) return choices;
  try {
    for (const [k, name] of Object.entries(JSON.parse(saved) as Record<string, string>)) {
      const c = fromName(name);
      if (c) choices.set(k, c);
    }
  } catch {
    /* a corrupt entry is replaced at the next save */
  }
  return choices;
}

export function saveChoices<C>(prefix: string, g: GpuContext, choices: Map<string, C>, toName: (c: C) => string): void {
  const store = localStore();
  if (!store) return;
  const obj: Record<string, string> = {};
  for (const [k, c] of choices) obj[k] = toName(c);
  try {
    store.setItem(storageKey(prefix, g), JSON.stringify(obj));
  } catch {
    /* storage full or denied: the in-memory choice still holds */
  }
}
