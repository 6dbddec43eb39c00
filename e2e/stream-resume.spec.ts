import { expect, test, type Page } from '@playwright/test';

const fileRow = (page: Page, name: string) => page.locator(`[data-testid="data-file"][data-file-name="${name}"]`);

/** Sets a range input as a user drag does (React listens to input events, not to .value). */
async function setRange(page: Page, testId: string, value: number): Promise<void> {
  await page.getByTestId(testId).evaluate((el, v) => {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(el, String(v));
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, value);
}

/** Per-step training losses the live chart draws (smoothing 0: the raw values, all points). */
async function losses(page: Page): Promise<number[]> {
  return page.getByTestId('metrics-chart').evaluate((el) => {
    const l = ((el as unknown as { data?: { name: string; x: number[]; y: number[] }[] }).data ?? []).find((t) => t.name === 'train loss');
    return l ? l.x.map((_, i) => l.y[i]) : [];
  });
}

async function trainTo(page: Page, step: number): Promise<void> {
  await page.getByTestId('btn-start').click();
  await expect(page.getByTestId('run-step')).toHaveText(String(step), { timeout: 180_000 });
  await expect(page.getByTestId('run-state')).toHaveText('paused');
}

/** sets_demo.h5 streamed for Deep Sets, as "Train on this file" attaches it (the train role, split 0.95). */
async function attachStream(page: Page): Promise<void> {
  await page.getByTestId('data-demo-sets_demo.h5').click();
  await expect(fileRow(page, 'sets_demo.h5')).toHaveAttribute('data-status', 'ready');
  await page.locator('[data-testid="train-from-file"] li', { hasText: 'regressing /target' }).getByTestId('train-option-deepsets').click();
  await expect(page.getByTestId('train-data')).toContainText('(streamed)');
}

/**
 * A streamed run resumed after a reload gives the losses of an uninterrupted run: the checkpoint
 * holds the training stream's position (epoch, position in the seeded shuffle, skipped entries)
 * and the restore seeks the data worker's BatchReader there through the port. 285 training
 * sets in batches of 32 make 9 batches an epoch: steps 7–12 of the resumed run cross into the
 * second epoch. Batches the data worker had read ahead at the checkpoint must not count.
 */
test('a streamed Deep Sets run resumed after a reload continues the stream exactly', async ({ page }) => {
  test.setTimeout(600_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/#task=deepsets&steps=12&eval_every=0&phiWidth=8&phiDepth=1&rhoWidth=8&rhoDepth=1&pool=mean&lr=0.01');
  await expect(page.getByTestId('gpu-adapter')).toBeVisible();
  await attachStream(page);
  await page.getByTestId('btn-create').click();
  await expect(page.getByTestId('run-state')).toHaveText('ready', { timeout: 120_000 });
  await expect(page.getByTestId('run-description')).toContainText('streaming 285 training sets per epoch');
  await setRange(page, 'chart-smoothing', 0);
  await trainTo(page, 12);
  const whole = await losses(page);
  expect(whole).toHaveLength(12);

  // The interrupted run: 6 steps (checkpointed on pause), then the page reloads.
  await page.getByTestId('cfg-max-steps').fill('6');
  await page.getByTestId('cfg-max-steps').press('Tab');
  await page.getByTestId('btn-create').click();
  await expect(page.getByTestId('run-state')).toHaveText('ready', { timeout: 120_000 });
  await expect(page.getByTestId('run-row')).toHaveCount(2);
  await trainTo(page, 6);
  const row = page.getByTestId('run-row').first();
  await expect(row.getByTestId('run-checkpoint')).toHaveText('6');
  await row.getByTestId('run-name').fill('interrupted');
  await row.getByTestId('run-name').press('Enter');
  await page.waitForTimeout(2500); // metrics.jsonl is rewritten at most every 2 s

  await page.reload();
  await expect(page.getByTestId('gpu-adapter')).toBeVisible();
  await attachStream(page); // a resumed streamed run needs its file loaded again
  const again = page.getByTestId('run-row').filter({ has: page.locator('input[value="interrupted"]') });
  await again.getByTestId('run-resume').click();
  await expect(page.getByTestId('run-state')).toHaveText('paused', { timeout: 120_000 });
  await expect(page.getByTestId('run-step')).toHaveText('6');
  await setRange(page, 'chart-smoothing', 0);
  await trainTo(page, 12);
  const resumed = await losses(page);
  expect(resumed).toHaveLength(12);

  // Same device, same kernels, deterministic reductions: bitwise equal. Resuming from the
  // stream's start, or past the read-ahead, draws other sets, whose losses differ by percent
  // (the batches' losses spread by more than that).
  expect(resumed).toEqual(whole);
  expect((Math.max(...whole) - Math.min(...whole)) / Math.min(...whole)).toBeGreaterThan(0.05);
  expect(errors).toEqual([]);
});
