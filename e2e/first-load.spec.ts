import { gzipSync } from 'node:zlib';
import { expect, test } from '@playwright/test';

/**
 * What the first screen downloads (the page and the training worker it starts): JS + wasm
 * bytes, raw and gzipped (what `vite preview` and most servers transfer). Before the
 * catalogue/implementation split the page alone was 5.2 MB of JS (1.6 MB gzipped: plotly's
 * full bundle and every task's kernels and models).
 */
const FIRST_LOAD_GZIP_BUDGET = 400_000;

test('first load: JS + wasm of the first screen within budget, no plotly, onnxruntime or HDF5 worker', async ({ page }) => {
  const urls = new Set<string>();
  page.on('requestfinished', (r) => {
    if (/\.(m?js|wasm)(\?|$)/.test(r.url())) urls.add(r.url());
  });
  await page.goto('/');
  await expect(page.getByTestId('gpu-adapter')).toBeVisible();
  await page.waitForLoadState('networkidle');
  let raw = 0;
  let gz = 0;
  const rows: string[] = [];
  for (const url of urls) {
    const body = await (await page.request.get(url)).body();
    const z = gzipSync(body).length;
    raw += body.length;
    gz += z;
    rows.push(`  ${body.length}\t${z}\t${new URL(url).pathname}`);
  }
  console.log(`first load: ${urls.size} JS/wasm files, ${raw} bytes raw, ${gz} bytes gzipped\n${rows.join('\n')}`);
  if (process.env.MEASURE_ONLY) return;
  await expect(page.getByTestId('task-gallery')).toBeVisible();
  expect([...urls].filter((u) => /plotly|ort[.-]|fileWorker/.test(u))).toEqual([]);
  expect(gz).toBeLessThan(FIRST_LOAD_GZIP_BUDGET);
});
