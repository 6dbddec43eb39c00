import type { Page } from '@playwright/test';

/**
 * The typed arrays the page's stores hold (data store, and the train store's task data),
 * each as "path (bytes)", and the kind of that task data's payload. A streamed run's page
 * holds only the plan of what to stream, so the list is empty.
 */
export function arraysHeldByPage(page: Page): Promise<{ found: string[]; payloadKind?: string }> {
  return page.evaluate(() => {
    type Store = { getState(): Record<string, unknown> };
    const w = window as unknown as { __physmlData: Store; __physmlTrain: Store };
    const found: string[] = [];
    const walk = (x: unknown, path: string, depth: number) => {
      if (depth > 12 || x === null || typeof x !== 'object') return;
      if (ArrayBuffer.isView(x) || x instanceof ArrayBuffer) {
        found.push(`${path} (${(x as ArrayBuffer).byteLength} bytes)`);
        return;
      }
      for (const [k, v] of Object.entries(x)) if (typeof v !== 'function') walk(v, `${path}.${k}`, depth + 1);
    };
    walk(w.__physmlData.getState(), 'data', 0);
    const data = w.__physmlTrain.getState().data;
    walk(data, 'train.data', 0);
    return { found, payloadKind: (data as { payload?: { kind?: string } } | null)?.payload?.kind };
  });
}
