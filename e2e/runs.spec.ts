import { expect, test } from '@playwright/test';

const num = async (p: import('@playwright/test').Locator) => Number(await p.textContent());

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
  await expect(page.getByTestId('runs-chart').locator('.main-svg').first()).toBeVisible();

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
  const chart = page.getByTestId('runs-chart');
  await expect(chart.locator('.legendtext')).toHaveText(['wide', 'narrow']);
  await expect(page.getByTestId('runs-diff')).toContainText('config.hidden');
  await expect(page.getByTestId('runs-diff')).toContainText('24');
  await expect(page.getByTestId('runs-points-1')).toHaveText('3 points');
});
