/**
 * The browser half of the memory benchmark: attaches a large jagged-sets file in the app (a
 * local path: the page gets a disk-backed File, nothing is copied), streams Deep Sets from it
 * for `steps` steps and samples the memory of every process of the browser (children of this
 * Playwright worker) from /proc. The page and both workers (data, training) are threads of the
 * renderer process; the WebGPU buffers (on SwiftShader, CPU memory) are in the GPU process.
 */
import { expect, type Page } from '@playwright/test';
import { byKind, Sampler, treeMemory } from './bench-memory-lib';

/** The bound the README states for the renderer (page + both workers), whatever the file size. */
export const BOUND_MIB = 1536;

const fileRow = (page: Page, name: string) => page.locator(`[data-testid="data-file"][data-file-name="${name}"]`);

export interface BrowserMemory {
  steps: number;
  seconds: number;
  /** Renderer (page + data worker + training worker): before the file, peak, at the end. */
  renderer_base_rss_mib: number;
  renderer_peak_rss_mib: number;
  renderer_end_rss_mib: number;
  /** The renderer's peak in each quarter of the run (attach and create in the first). */
  renderer_rss_by_quarter_mib: number[];
  gpu_peak_rss_mib: number;
  /** Every Chromium process, PSS (shared pages split): peak. */
  all_peak_pss_mib: number;
  stream_line: string;
}

export async function browserStreamMemory(page: Page, path: string, steps: number): Promise<BrowserMemory> {
  const name = path.split('/').pop()!;
  await page.goto(`/#task=deepsets&steps=${steps}&eval_every=0&phiWidth=16&phiDepth=2&rhoWidth=16&rhoDepth=1&pool=mean`);
  await expect(page.getByTestId('gpu-adapter')).toBeVisible();
  const kinds = () => byKind(treeMemory(process.pid));
  await page.waitForTimeout(1000);
  const base = kinds();
  const sampler = new Sampler(() => {
    const k = kinds();
    return {
      renderer: k.renderer?.rssMiB ?? 0,
      gpu: k['gpu-process']?.rssMiB ?? 0,
      all: Object.values(k).reduce((a, x) => a + x.pssMiB, 0),
    };
  });
  const t0 = Date.now();
  try {
    await page.getByTestId('data-file-input').setInputFiles(path);
    await expect(fileRow(page, name)).toHaveAttribute('data-status', 'ready', { timeout: 300_000 });
    await page
      .locator('[data-testid="train-from-file"] li', { hasText: 'regressing /target' })
      .getByTestId('train-option-deepsets')
      .click();
    await expect(page.getByTestId('train-data')).toContainText('(streamed)');
    // the evaluation after Create streams 64 validation sets, not 5 % of the file
    await page.getByTestId('stream-eval-entries').fill('64');
    await page.getByTestId('stream-eval-entries').press('Tab');
    await page.getByTestId('btn-create').click();
    await expect(page.getByTestId('run-state')).toHaveText('ready', { timeout: 300_000 });
    await page.getByTestId('btn-start').click();
    await expect(page.getByTestId('run-step')).toHaveText(String(steps), { timeout: 900_000 });
    await expect(page.getByTestId('run-state')).toHaveText('paused');
  } finally {
    sampler.stop();
  }
  const stream = (await page.getByTestId('stream-status').innerText()).replace(/\s+/g, ' ').trim();
  return {
    steps,
    seconds: (Date.now() - t0) / 1000,
    renderer_base_rss_mib: Math.round(base.renderer?.rssMiB ?? 0),
    renderer_peak_rss_mib: Math.round(sampler.peak.renderer),
    renderer_end_rss_mib: Math.round(sampler.last.renderer),
    renderer_rss_by_quarter_mib: sampler.quarters('renderer'),
    gpu_peak_rss_mib: Math.round(sampler.peak.gpu),
    all_peak_pss_mib: Math.round(sampler.peak.all),
    stream_line: stream.slice(0, 300),
  };
}
