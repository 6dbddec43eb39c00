import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { syntheticPlanes } from '../src/tasks/cosmic/synthetic';
import { denseToLarcv3 } from '../tools/writers/denseToLarcv3';
import { writeLarcv3File } from '../tools/writers/nodeWriters';
import { arraysHeldByPage } from './pageArrays';

const fileRow = (page: Page, name: string) => page.locator(`[data-testid="data-file"][data-file-name="${name}"]`);
const IOU = 'Average/mIoU';

/** y values of the named trace of the live metrics chart. */
async function series(page: Page, name: string): Promise<number[]> {
  return page.getByTestId('metrics-chart').evaluate((el, n) => {
    const traces = (el as unknown as { data?: { name?: string; y?: number[] }[] }).data ?? [];
    return [...(traces.find((t) => t.name === n)?.y ?? [])];
  }, name);
}

// Cosmic tagging streamed from a generated larcv3 train file while validating on a second
// file: 32×32 planes downsampled by 2 on the GPU (16×16, the small preset), batches from the
// data worker to the training worker; the validation mIoU rises; a third file is the test file.
test('cosmic tagging streams from a larcv3 train file, validates on a second file, the validation mIoU rises, and the test file evaluates', async ({
  page,
}) => {
  test.setTimeout(480_000);
  const dir = mkdtempSync(join(tmpdir(), 'cosmic-stream-e2e-'));
  try {
    const write = async (name: string, events: number, seed: number) => {
      const path = join(dir, name);
      await writeLarcv3File(path, denseToLarcv3(syntheticPlanes({ events, size: 32, seed }), 'wire', 'cosmicseg'));
      return path;
    };
    const [train, validation, testFile] = [
      await write('cosmic_train.h5', 24, 1),
      await write('cosmic_val.h5', 6, 2),
      await write('cosmic_test.h5', 4, 3),
    ];
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto('/');
    await expect(page.getByTestId('gpu-adapter')).toBeVisible();

    await page.getByTestId('data-file-input').setInputFiles([validation, testFile]);
    for (const n of ['cosmic_val.h5', 'cosmic_test.h5']) await expect(fileRow(page, n)).toHaveAttribute('data-status', 'ready');
    await fileRow(page, 'cosmic_val.h5').getByTestId('data-role').selectOption('validation');
    await fileRow(page, 'cosmic_test.h5').getByTestId('data-role').selectOption('test');
    await page.getByTestId('data-file-input').setInputFiles(train);
    await expect(fileRow(page, 'cosmic_train.h5')).toHaveAttribute('data-status', 'ready');
    await page.locator('[data-testid="train-from-file"][data-file="cosmic_train.h5"]').getByTestId('train-option-cosmic-uresnet').click();
    await expect(page.getByTestId('task-select')).toHaveValue('cosmic-uresnet');
    await expect(page.getByTestId('train-data')).toContainText('(streamed)');
    await expect(page.getByTestId('role-train')).toHaveText('cosmic_train.h5');
    await expect(page.getByTestId('role-validation')).toHaveText('cosmic_val.h5');
    await expect(page.getByTestId('role-test')).toHaveText('cosmic_test.h5');

    await page.getByTestId('cfg-downsample').fill('1');
    await page.getByTestId('cfg-batchSize').fill('2');
    await expect(page.getByTestId('cfg-network')).toHaveValue('small');
    await page.getByTestId('cfg-balance').selectOption('light');
    await page.getByTestId('cfg-lr').fill('0.01');
    await page.getByTestId('cfg-eval-every').fill('5');
    await page.getByTestId('btn-create').click();
    await expect(page.getByTestId('run-state')).toHaveText('ready', { timeout: 120_000 });
    await expect(page.getByTestId('run-description')).toContainText(
      'streaming 24 training events per epoch, validating on 6 events of cosmic_val.h5, test file cosmic_test.h5; 3×16×16 (32×32 downsampled by 2 on the GPU)',
    );
    await expect(page.getByTestId('stream-status')).toContainText('cosmic_val.h5');

    // the untrained network's validation mIoU, from the initial evaluation over the whole validation file
    await page.getByTestId('metric-select').selectOption(IOU);
    await expect.poll(async () => (await series(page, `test ${IOU}`)).length).toBeGreaterThan(0);
    const initial = (await series(page, `test ${IOU}`))[0]!;
    expect(Number(await page.getByTestId('test-entries').textContent())).toBe(6);

    await page.getByTestId('btn-start').click();
    await expect(page.getByTestId('stream-progress')).toBeVisible({ timeout: 120_000 });
    // evaluations every 5 steps: the validation mIoU rises clearly above the untrained value
    await expect
      .poll(async () => Math.max(...(await series(page, `test ${IOU}`))), { timeout: 300_000, intervals: [2000] })
      .toBeGreaterThan(initial + 0.05);
    await page.getByTestId('btn-pause').click();
    await expect(page.getByTestId('run-state')).toHaveText('paused', { timeout: 120_000 });
    for (const id of ['cosmic-input', 'cosmic-truth', 'cosmic-prediction']) await expect(page.getByTestId(`figure-${id}`)).toBeVisible();

    // one pass over the test file, with the task's metrics
    await page.getByTestId('btn-evaluate-test').click();
    await expect(page.getByTestId('test-file-metrics')).toContainText('cosmic_test.h5 at step', { timeout: 120_000 });
    expect(Number(await page.getByTestId('test-file-entries').textContent())).toBe(4);

    // the page's stores hold only the plan of what to stream, no planes
    const held = (await arraysHeldByPage(page)).found;
    expect(held).toEqual([]);
    expect(errors).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
