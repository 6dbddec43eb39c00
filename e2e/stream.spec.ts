import { expect, test, type Page } from '@playwright/test';
import { arraysHeldByPage } from './pageArrays';

const fileRow = (page: Page, name: string) => page.locator(`[data-testid="data-file"][data-file-name="${name}"]`);

// Deep Sets streamed from a train file while validating on a second file: batches go from
// the data worker to the training worker over MessageChannels, the page holds none of them.
test('streams Deep Sets from sets_demo.h5, validates on sets_demo_val.h5, the validation loss falls, the page holds no data', async ({
  page,
}) => {
  test.setTimeout(420_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await expect(page.getByTestId('gpu-adapter')).toBeVisible();

  await page.getByTestId('data-demo-sets_demo_val.h5').click();
  await expect(fileRow(page, 'sets_demo_val.h5')).toHaveAttribute('data-status', 'ready');
  await page.getByTestId('data-demo-sets_demo.h5').click();
  await expect(page.locator('[data-testid="train-from-file"][data-file="sets_demo.h5"]')).toBeVisible();
  // both files pass the background full read
  for (const n of ['sets_demo.h5', 'sets_demo_val.h5'])
    await expect(fileRow(page, n).getByTestId('data-check')).toHaveAttribute('data-check', 'ok');

  await fileRow(page, 'sets_demo_val.h5').getByTestId('data-role').selectOption('validation');
  await page.locator('[data-testid="train-from-file"] li', { hasText: 'regressing /target' }).getByTestId('train-option-deepsets').click();
  await expect(page.getByTestId('task-select')).toHaveValue('deepsets');
  await expect(fileRow(page, 'sets_demo.h5').getByTestId('data-role')).toHaveValue('train');
  await expect(page.getByTestId('role-train')).toHaveText('sets_demo.h5');
  await expect(page.getByTestId('role-validation')).toHaveText('sets_demo_val.h5');
  await expect(page.getByTestId('train-data')).toContainText('(streamed)');

  for (const [key, value] of [
    ['phiWidth', '16'],
    ['phiDepth', '2'],
    ['rhoWidth', '16'],
    ['rhoDepth', '1'],
    ['pool', 'mean'],
  ]) {
    const f = page.getByTestId(`cfg-${key}`);
    if (key === 'pool') await f.selectOption(value);
    else await f.fill(value);
  }
  await page.getByTestId('cfg-lr').fill('0.003');
  await page.getByTestId('cfg-eval-every').fill('20');
  await page.getByTestId('btn-create').click();
  await expect(page.getByTestId('run-state')).toHaveText('ready', { timeout: 120_000 });
  await expect(page.getByTestId('run-description')).toContainText(
    'streaming 300 training sets per epoch, validating on 100 sets of sets_demo_val.h5',
  );
  await expect(page.getByTestId('stream-status')).toContainText('validation sets_demo_val.h5 (100 per evaluation)');
  expect(Number(await page.getByTestId('test-entries').textContent())).toBe(100); // the evaluation read the whole validation file
  const initial = Number(await page.getByTestId('test-loss').textContent());
  expect(initial).toBeGreaterThan(0);

  await page.getByTestId('btn-start').click();
  await expect(page.getByTestId('stream-progress')).toBeVisible({ timeout: 180_000 });
  // 300 sets per epoch at 32 per batch: past step 10 the stream is in its second epoch
  await expect.poll(async () => Number(await page.getByTestId('stream-epoch').textContent()), { timeout: 240_000 }).toBeGreaterThan(1);
  expect(Number(await page.getByTestId('stream-rate').textContent())).toBeGreaterThan(0);
  await expect(page.getByTestId('stream-input-fraction')).toHaveText(/^\d+%$/);
  await expect
    .poll(async () => Number(await page.getByTestId('test-loss').textContent()), { timeout: 240_000 })
    .toBeLessThan(initial * 0.8);
  await page.getByTestId('btn-pause').click();
  await expect(page.getByTestId('run-state')).toHaveText('paused', { timeout: 60_000 });

  // The page's stores hold no element or target arrays: only the plan of what to stream.
  const held = await arraysHeldByPage(page);
  expect(held.payloadKind).toBe('stream-plan');
  expect(held.found).toEqual([]);
  expect(errors).toEqual([]);
});

// A file whose metadata look fine but with a NaN at entry 150: the background read check
// flags it on the file's badge; training pauses at the batch holding it, keeping the weights,
// and "skip this entry and continue" goes on without it; then one pass over the test file.
test('a bad entry mid-stream: the badge names it, training pauses, skipping it continues', async ({ page }) => {
  test.setTimeout(300_000);
  const { writeNumberedSets } = await import('../tests/stream/helpers');
  const bad = await writeNumberedSets(400, [150]);
  try {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto('/');
    await expect(page.getByTestId('gpu-adapter')).toBeVisible();
    await page.getByTestId('data-demo-sets_demo_val.h5').click();
    await expect(fileRow(page, 'sets_demo_val.h5')).toHaveAttribute('data-status', 'ready');
    await fileRow(page, 'sets_demo_val.h5').getByTestId('data-role').selectOption('test');
    await page.getByTestId('data-file-input').setInputFiles(bad.path);
    await expect(fileRow(page, 'sets.h5')).toHaveAttribute('data-status', 'ready');
    const badge = fileRow(page, 'sets.h5').getByTestId('data-check');
    await expect(badge).toHaveAttribute('data-check', 'failed');
    await expect(badge).toContainText('read check failed: sets.h5 /sets/x0, entry 150:');

    await page
      .locator('[data-testid="train-from-file"] li', { hasText: 'regressing /target' })
      .getByTestId('train-option-deepsets')
      .click();
    await expect(page.getByTestId('role-validation')).toHaveText('the last 5% of the train file');
    await expect(page.getByTestId('role-test')).toHaveText('sets_demo_val.h5');
    for (const [key, value] of [
      ['phiWidth', '8'],
      ['rhoWidth', '8'],
    ])
      await page.getByTestId(`cfg-${key}`).fill(value);
    await page.getByTestId('cfg-eval-every').fill('0');
    await page.getByTestId('btn-create').click();
    await expect(page.getByTestId('run-state')).toHaveText('ready', { timeout: 120_000 });
    await page.getByTestId('btn-start').click();
    // 380 training entries per epoch: entry 150 comes up within the first 12 steps
    const error = page.getByTestId('stream-data-error');
    await expect(error).toContainText('sets.h5 /sets/x0, entry 150', { timeout: 180_000 });
    await expect(error).toContainText('The weights are kept');
    await expect(page.getByTestId('run-state')).toHaveText('paused');
    const stepAtError = Number(await page.getByTestId('run-step').textContent());
    expect(stepAtError).toBeLessThan(12);

    await page.getByTestId('btn-skip-entry').click();
    await expect(error).toBeHidden();
    // past the epoch boundary (12 steps) the stream has gone by entry 150's place again
    await expect
      .poll(async () => Number(await page.getByTestId('run-step').textContent()), { timeout: 180_000 })
      .toBeGreaterThan(stepAtError + 20);
    await page.getByTestId('btn-pause').click();
    await expect(page.getByTestId('run-state')).toHaveText('paused', { timeout: 60_000 });
    await expect(page.getByTestId('stream-skipped')).toHaveText('1');
    await expect(error).toBeHidden();

    // the test file: one pass, the task's metrics
    await page.getByTestId('btn-evaluate-test').click();
    await expect(page.getByTestId('test-file-metrics')).toContainText('sets_demo_val.h5 at step');
    expect(Number(await page.getByTestId('test-file-entries').textContent())).toBe(100);
    expect(Number(await page.getByTestId('test-file-mse').textContent())).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  } finally {
    bad.cleanup();
  }
});
