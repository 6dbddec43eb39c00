import { expect, test, type Page } from '@playwright/test';

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
  await expect(page.getByTestId('run-step')).toHaveText(String(step), { timeout: 120_000 });
  await expect(page.getByTestId('run-state')).toHaveText('paused');
}

/**
 * Resume in the browser after a page reload gives the losses of an uninterrupted run: the
 * same seed trained 12 steps straight, and 6 steps, a reload, a resume from the checkpoint
 * written on pause, and 6 more. The stored curve (steps 1–6, from metrics.jsonl) and the
 * resumed steps 7–12 must both match the uninterrupted run.
 */
test('after a reload, resume gives the losses of an uninterrupted run', async ({ page }) => {
  // hidden 16, 1 layer, batches of 64: a few seconds a step on SwiftShader; no evaluations.
  const setup = 'task=toy-mlp&hidden=16&layers=1&trainSize=512&batchSize=64&eval_every=0';
  await page.goto(`/#${setup}&steps=12`);
  await expect(page.getByTestId('gpu-adapter')).toBeVisible();
  await page.getByTestId('btn-create').click();
  await expect(page.getByTestId('run-state')).toHaveText('ready');
  await setRange(page, 'chart-smoothing', 0);
  await trainTo(page, 12);
  const whole = await losses(page);
  expect(whole).toHaveLength(12);

  // The interrupted run: 6 steps (checkpointed on pause), then the page reloads.
  await page.getByTestId('cfg-max-steps').fill('6');
  await page.getByTestId('cfg-max-steps').press('Tab');
  await page.getByTestId('btn-create').click();
  await expect(page.getByTestId('run-state')).toHaveText('ready');
  await expect(page.getByTestId('run-row')).toHaveCount(2);
  await trainTo(page, 6);
  const row = page.getByTestId('run-row').first();
  await expect(row.getByTestId('run-checkpoint')).toHaveText('6');
  await row.getByTestId('run-name').fill('interrupted');
  await row.getByTestId('run-name').press('Enter');
  await page.waitForTimeout(2500); // metrics.jsonl is rewritten at most every 2 s

  await page.reload();
  await expect(page.getByTestId('gpu-adapter')).toBeVisible();
  const again = page.getByTestId('run-row').filter({ has: page.locator('input[value="interrupted"]') });
  await again.getByTestId('run-resume').click();
  await expect(page.getByTestId('run-state')).toHaveText('paused');
  await expect(page.getByTestId('run-step')).toHaveText('6');
  await setRange(page, 'chart-smoothing', 0);
  await trainTo(page, 12);
  const resumed = await losses(page);
  expect(resumed).toHaveLength(12);

  // Same device, same kernels, deterministic reductions: bitwise equal is expected; 4 f32
  // ulps (4.8e-7 relative) is the round-off allowance. A fresh model at step 7, or the
  // wrong batch (each step draws batch step mod 8), is off by percent.
  for (let i = 0; i < 12; i++) expect(Math.abs(resumed[i] - whole[i]), `step ${i + 1}`).toBeLessThanOrEqual(4.8e-7 * Math.abs(whole[i]));
  expect(Math.abs(whole[6] - whole[0]) / whole[0]).toBeGreaterThan(0.01);
});
