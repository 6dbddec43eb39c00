import { expect, test, type Page } from '@playwright/test';

/** The test-efficiency series of the metrics chart (the chart keeps its drawn lines on the div). */
async function testEfficiency(page: Page): Promise<number[]> {
  return page.getByTestId('metrics-chart').evaluate((el) => {
    const traces = (el as unknown as { data?: { name?: string; y?: number[] }[] }).data ?? [];
    return traces.find((t) => t.name === 'test efficiency')?.y ?? [];
  });
}

test('object condensation clustering: create, train, efficiency rises', async ({ page }) => {
  const consoleErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  await page.goto('/');
  await page.getByTestId('task-select').selectOption('oc-clustering');
  // small and quick on SwiftShader
  for (const [key, value] of [
    ['trainEvents', '16'],
    ['testEvents', '8'],
    ['hidden', '24'],
  ]) {
    await page.getByTestId(`cfg-${key}`).fill(value);
  }
  await page.getByTestId('btn-create').click();
  await expect(page.getByTestId('run-state')).toHaveText('ready');
  await expect(page.getByTestId('test-loss')).toBeVisible();
  await page.getByTestId('metric-select').selectOption('efficiency');
  await expect.poll(async () => (await testEfficiency(page)).length).toBeGreaterThan(0);
  const initial = (await testEfficiency(page))[0];

  await page.getByTestId('btn-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('running');
  await expect.poll(async () => Number(await page.getByTestId('run-step').textContent()), { timeout: 180_000 }).toBeGreaterThan(110);
  await page.getByTestId('btn-pause').click();
  await expect(page.getByTestId('run-state')).toHaveText('paused');
  await page.getByTestId('metric-select').selectOption('efficiency');
  await expect
    .poll(
      async () => {
        const e = await testEfficiency(page);
        return e[e.length - 1];
      },
      { timeout: 60_000 },
    )
    .toBeGreaterThan(initial + 0.15);
  for (const id of ['event-truth', 'event-prediction', 'latent']) await expect(page.getByTestId(`figure-${id}`)).toBeVisible();
  expect(consoleErrors.filter((e) => !e.includes('favicon'))).toEqual([]);
});
