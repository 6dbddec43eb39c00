import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { demoSpanetSpec } from '../tools/writers/demoSpanet';
import { writeSpanetFile } from '../tools/writers/nodeWriters';
import { arraysHeldByPage } from './pageArrays';

const fileRow = (page: Page, name: string) => page.locator(`[data-testid="data-file"][data-file-name="${name}"]`);

// A tiny spanet-v2 from an options file (typed into the field): its batch_size and optimiser apply to the stream.
const OPTIONS = {
  hidden_dim: 8,
  transformer_dim: 8,
  initial_embedding_dim: 4,
  position_embedding_dim: 4,
  num_encoder_layers: 1,
  num_branch_embedding_layers: 1,
  num_branch_encoder_layers: 1,
  num_jet_encoder_layers: 1,
  num_detector_layers: 1,
  batch_size: 16,
  optimizer: 'AdamW',
  learning_rate: 0.005,
};

// SPANet streamed from a generated tt̄ train file while validating on a second file: the data
// worker makes the statistics pass and serves batches to the training worker; the page holds
// no events; the stream status moves and the validation loss falls.
test('SPANet streams from a train file, validates on a second file, and the validation loss falls', async ({ page }) => {
  test.setTimeout(180_000);
  const dir = mkdtempSync(join(tmpdir(), 'spanet-stream-e2e-'));
  try {
    const write = async (name: string, events: number, seed: number) => {
      const path = join(dir, name);
      await writeSpanetFile(path, demoSpanetSpec({ events, maxJets: 8, seed }));
      return path;
    };
    const [train, validation] = [await write('spanet_train.h5', 320, 1), await write('spanet_val.h5', 48, 2)];
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto('/');
    await expect(page.getByTestId('gpu-adapter')).toBeVisible();

    await page.getByTestId('data-file-input').setInputFiles(validation);
    await expect(fileRow(page, 'spanet_val.h5')).toHaveAttribute('data-status', 'ready');
    await fileRow(page, 'spanet_val.h5').getByTestId('data-role').selectOption('validation');
    await page.getByTestId('data-file-input').setInputFiles(train);
    await expect(fileRow(page, 'spanet_train.h5')).toHaveAttribute('data-status', 'ready');
    await page.locator('[data-testid="train-from-file"][data-file="spanet_train.h5"]').getByTestId('train-option-spanet').click();
    await expect(page.getByTestId('task-select')).toHaveValue('spanet');
    await expect(page.getByTestId('train-data')).toContainText('(streamed)');
    await expect(page.getByTestId('role-train')).toHaveText('spanet_train.h5');
    await expect(page.getByTestId('role-validation')).toHaveText('spanet_val.h5');

    await expect(page.getByTestId('cfg-model')).toHaveValue('spanet-v2');
    await page.getByTestId('cfg-optionsJson').fill(JSON.stringify(OPTIONS));
    await page.getByTestId('cfg-eval-every').fill('10');
    await page.getByTestId('btn-create').click();
    await expect(page.getByTestId('run-state')).toHaveText('ready', { timeout: 60_000 });
    const description = page.getByTestId('run-description');
    await expect(description).toContainText('streaming 320 training events per epoch, validating on 48 events of spanet_val.h5');
    await expect(description).toContainText('batches of 16; statistics from 320 training events');
    // the options file's optimiser is applied to the streamed run as to an in-memory one
    await expect(description).toContainText('options file: ');
    await expect(description).toContainText('(applied; the optimiser settings are not used)');
    await expect(page.getByTestId('stream-status')).toContainText('spanet_val.h5');

    await expect(page.getByTestId('test-loss')).toBeVisible({ timeout: 60_000 });
    const initial = Number(await page.getByTestId('test-loss').textContent());
    expect(Number(await page.getByTestId('test-entries').textContent())).toBe(48);

    await page.getByTestId('btn-start').click();
    await expect(page.getByTestId('stream-progress')).toBeVisible({ timeout: 60_000 });
    // into the second epoch (20 batches of 16 per epoch)
    await expect.poll(async () => Number(await page.getByTestId('stream-epoch').textContent()), { timeout: 90_000 }).toBeGreaterThan(1);
    await expect.poll(async () => Number(await page.getByTestId('test-loss').textContent()), { timeout: 90_000 }).toBeLessThan(initial);
    await page.getByTestId('btn-pause').click();
    await expect(page.getByTestId('run-state')).toHaveText('paused', { timeout: 60_000 });
    const position = Number(await page.getByTestId('stream-position').textContent());
    expect(position).toBeGreaterThanOrEqual(0);
    expect(position).toBeLessThanOrEqual(320);

    // the page's stores hold only the plan of what to stream, no events (the statistics went on to the training worker)
    const held = (await arraysHeldByPage(page)).found;
    expect(held).toEqual([]);
    expect(errors).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
