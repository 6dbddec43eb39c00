import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';

/** Sets a range input as a user drag does (React listens to input events, not to .value). */
async function setRange(page: Page, testId: string, value: number): Promise<void> {
  await page.getByTestId(testId).evaluate((el, v) => {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(el, String(v));
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, value);
}

const num = async (p: import('@playwright/test').Locator) => Number(await p.textContent());

/** The lines the live chart draws (it keeps them on its element). */
function chartLines(page: Page): Promise<{ name: string; x: number[]; y: number[] }[]> {
  return page.getByTestId('metrics-chart').evaluate((el) =>
    ((el as unknown as { data?: { name: string; x: number[]; y: number[] }[] }).data ?? []).map((l) => ({
      name: l.name,
      x: [...l.x],
      y: [...l.y],
    })),
  );
}

async function downloaded(page: Page, button: string): Promise<Buffer> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId(button).click()]);
  return readFileSync((await dl.path())!);
}

test('a run survives a reload: found in the Runs panel with its curves, resumed, and its loss continues', async ({ page }) => {
  const consoleErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  await page.goto('/');
  await expect(page.getByTestId('gpu-adapter')).toBeVisible();
  await expect(page.getByTestId('runs-panel')).toBeVisible();
  await page.getByTestId('ckpt-every').fill('20');

  await page.getByTestId('btn-create').click();
  await expect(page.getByTestId('run-state')).toHaveText('ready');
  await page.getByTestId('btn-step').click();
  await expect(page.getByTestId('run-step')).toHaveText('1');
  const firstLoss = await num(page.getByTestId('train-loss'));

  await page.getByTestId('btn-start').click();
  await expect.poll(() => num(page.getByTestId('run-step')), { timeout: 120_000 }).toBeGreaterThan(45);
  await page.getByTestId('btn-pause').click();
  await expect(page.getByTestId('run-state')).toHaveText('paused');
  const step = await num(page.getByTestId('run-step'));
  const lossAtPause = await num(page.getByTestId('train-loss'));
  expect(lossAtPause).toBeLessThan(firstLoss);
  // The checkpoint on pause lands in the run's row (written in the background).
  const row = page.getByTestId('run-row').first();
  await expect(row.getByTestId('run-checkpoint')).toHaveText(String(step));
  await expect(row.getByTestId('run-steps')).toHaveText(String(step));
  await row.getByTestId('run-name').fill('survivor');
  await row.getByTestId('run-name').press('Enter');
  await page.waitForTimeout(2500); // metrics.jsonl is rewritten at most every 2 s

  await page.reload();
  await expect(page.getByTestId('gpu-adapter')).toBeVisible();
  const again = page.getByTestId('run-row').filter({ has: page.locator('input[value="survivor"]') });
  await expect(again).toHaveCount(1);
  await expect(again.getByTestId('run-steps')).toHaveText(String(step));
  await expect(again.getByTestId('run-checkpoint')).toHaveText(String(step));
  // Its curves come back from storage: one train point per step.
  await again.getByTestId('run-compare').check();
  await expect(page.getByTestId('runs-points-0')).toHaveText(`${step} points`);
  // …overlaid on the Train panel's live chart, under the run's name.
  await expect.poll(() => chartLines(page).then((ls) => ls.find((l) => l.name === 'survivor')?.x.length)).toBe(step);

  await again.getByTestId('run-resume').click();
  await expect(page.getByTestId('run-state')).toHaveText('paused');
  await expect(page.getByTestId('run-step')).toHaveText(String(step));
  await expect(page.getByTestId('metric-count')).toContainText(`${step} training points`);
  await page.getByTestId('btn-step').click();
  await expect(page.getByTestId('run-step')).toHaveText(String(step + 1));
  const resumed = await num(page.getByTestId('train-loss'));
  // A fresh model would start near firstLoss; the restored one continues near its last loss.
  expect(resumed).toBeLessThan(firstLoss / 2);
  expect(Math.abs(Math.log(resumed / lossAtPause))).toBeLessThan(Math.log(3));
  await expect(page.getByTestId('metric-count')).toContainText(`${step + 1} training points`);
  // The same row goes on (no new run for a resume).
  await expect(page.getByTestId('run-row')).toHaveCount(await page.getByTestId('run-row').count());
  await expect(again.getByTestId('run-steps')).toHaveText(String(step + 1));
  expect(consoleErrors.filter((e) => !e.includes('favicon'))).toEqual([]);
});

test('two runs overlay on the compare chart with their config difference; the URL carries the config', async ({ page }) => {
  await page.goto('/#task=toy-mlp&hidden=16');
  await expect(page.getByTestId('gpu-adapter')).toBeVisible();
  await page.getByTestId('btn-create').click();
  await expect(page.getByTestId('run-state')).toHaveText('ready');
  for (let i = 1; i <= 3; i++) {
    await page.getByTestId('btn-step').click();
    await expect(page.getByTestId('run-step')).toHaveText(String(i));
    await expect(page.getByTestId('run-state')).toHaveText('paused');
  }
  // An edited link applies to the form, and the form writes the URL back.
  await page.evaluate(() => (location.hash = '#task=toy-mlp&hidden=24'));
  await expect(page.getByTestId('train-panel').locator('input[value="24"]')).toHaveCount(1);
  await page.getByTestId('cfg-max-steps').fill('7');
  await page.getByTestId('cfg-max-steps').press('Tab');
  await expect.poll(() => page.evaluate(() => location.hash)).toBe('#task=toy-mlp&hidden=24&steps=7');
  await page.getByTestId('btn-create').click();
  await expect(page.getByTestId('run-state')).toHaveText('ready');
  await page.getByTestId('btn-step').click();
  await expect(page.getByTestId('run-step')).toHaveText('1');
  await expect(page.getByTestId('run-row')).toHaveCount(2);
  const names = ['wide', 'narrow'];
  for (const [i, n] of names.entries()) {
    const r = page.getByTestId('run-row').nth(i);
    await r.getByTestId('run-name').fill(n);
    await r.getByTestId('run-name').press('Enter');
  }
  await page.waitForTimeout(2500);
  for (let i = 0; i < 2; i++) await page.getByTestId('run-row').nth(i).getByTestId('run-compare').check();
  await expect(page.getByTestId('runs-diff')).toContainText('config.hidden');
  await expect(page.getByTestId('runs-diff')).toContainText('24');
  await expect(page.getByTestId('runs-points-1')).toHaveText('3 points');

  // Both on the live chart: one colour per run, the legend by run name (raw lines left out).
  const chart = page.getByTestId('metrics-chart');
  await expect(chart.locator('.u-legend .u-series:visible .u-label')).toHaveText(['step', 'wide', 'wide test', 'narrow', 'narrow test']);
  let lines = await chartLines(page);
  expect(lines.find((l) => l.name === 'narrow')!.x).toEqual([1, 2, 3]);
  // The stored run's own smoothing: 0 draws its raw losses.
  await setRange(page, 'run-smoothing-1', 0);
  await expect.poll(async () => (await chartLines(page)).some((l) => l.name === 'narrow (raw)')).toBe(false);
  lines = await chartLines(page);
  const narrowRaw = lines.find((l) => l.name === 'narrow')!.y;
  expect(lines.find((l) => l.name === 'wide (raw)')).toBeDefined(); // the live run keeps the panel's 0.6

  // Epoch axis: the toy MLP's 2048 samples are 8 batches of 256 an epoch.
  await page.getByTestId('x-axis-select').selectOption('epoch');
  await expect.poll(async () => (await chartLines(page)).find((l) => l.name === 'narrow')?.x).toEqual([1 / 8, 2 / 8, 3 / 8]);

  // Exports: a PNG, an SVG with both runs in its legend, and a CSV of both runs' rows.
  const png = await downloaded(page, 'chart-png');
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.length).toBeGreaterThan(2000);
  const svg = (await downloaded(page, 'chart-svg')).toString('utf8');
  expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  expect(svg).toContain('>wide</text>');
  expect(svg).toContain('>narrow</text>');
  expect(svg.match(/<path class="line"/g)?.length).toBeGreaterThanOrEqual(2);
  const csv = (await downloaded(page, 'chart-csv'))
    .toString('utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  const head = csv[0];
  expect(head.slice(0, 4)).toEqual(['run', 'split', 'step', 'wall_s']);
  expect(head).toContain('loss');
  expect(head).toContain('epoch');
  const narrowTrain = csv.slice(1).filter((r) => r[0] === 'narrow' && r[1] === 'train');
  expect(narrowTrain.map((r) => Number(r[2]))).toEqual([1, 2, 3]);
  expect(narrowTrain.map((r) => Number(r[head.indexOf('loss')]))).toEqual(narrowRaw);
  expect(narrowTrain.map((r) => Number(r[head.indexOf('epoch')]))).toEqual([1 / 8, 2 / 8, 3 / 8]);
  expect(csv.slice(1).filter((r) => r[0] === 'wide' && r[1] === 'train').length).toBe(1);
});
