import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';

/** Sets a range input as a user drag does (React listens to input events, not to .value). */
async function setRange(page: Page, testId: string, value: number): Promise<void> {
  await page.getByTestId(testId).evaluate((el, v) => {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(el, String(v));
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, value);
}

/**
 * A run folder written by `physml train` (run.json, metrics.jsonl, weights, checkpoints/) is
 * opened in the app through the folder input: its curves show on the live chart and Resume
 * continues it from its newest checkpoint. The CLI trains 21 steps with checkpoints at 20 and
 * 21; the test removes the one at 21, so the app resumes at 20 and its step 21 can be held
 * against the loss the CLI wrote for step 21.
 */
test('a physml train folder opens with its curves and continues from its checkpoint', async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'physml-folder-'));
  try {
    const runJson = join(dir, 'RUN.json');
    writeFileSync(
      runJson,
      JSON.stringify({
        name: 'clitoy',
        task: 'toy-mlp',
        config: { hidden: 16, layers: 1, trainSize: 512, batchSize: 64 },
        steps: 21,
        eval_every: 10,
      }),
    );
    const out = join(dir, 'clitoy');
    execFileSync(process.execPath, ['bin/physml.mjs', 'train', runJson, '--out', out, '--checkpoint-every', '20'], {
      stdio: 'pipe',
      timeout: 120_000,
    });
    rmSync(join(out, 'checkpoints', 'step-000000021'), { recursive: true });
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step: number; split: string; loss: number });
    const cliTrain = rows.filter((r) => r.split === 'train');
    expect(cliTrain.map((r) => r.step)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));

    await page.goto('/');
    await expect(page.getByTestId('gpu-adapter')).toBeVisible();
    await page.getByTestId('open-run-folder').setInputFiles(out);
    await expect(page.getByTestId('runs-message')).toContainText('checkpoint at step 20');
    const row = page.getByTestId('run-row').filter({ has: page.locator('input[value="clitoy (physml train)"]') });
    await expect(row).toHaveCount(1);
    await expect(row.getByTestId('run-checkpoint')).toHaveText('20');
    await expect(row.getByTestId('run-steps')).toHaveText('21');

    // Its curves: every train row of metrics.jsonl on the live chart, under the run's name.
    await row.getByTestId('run-compare').check();
    await setRange(page, 'chart-smoothing', 0);
    const drawn = () =>
      page
        .getByTestId('metrics-chart')
        .evaluate(
          (el) =>
            ((el as unknown as { data?: { name: string; y: number[] }[] }).data ?? [])
              .find((l) => l.name === 'clitoy (physml train)')
              ?.y.slice() ?? [],
        );
    await expect.poll(drawn).toEqual(cliTrain.map((r) => r.loss));

    // Continue it: the model, optimiser and data position of step 20, in the browser.
    await row.getByTestId('run-resume').click();
    await expect(page.getByTestId('run-state')).toHaveText('paused');
    await expect(page.getByTestId('run-step')).toHaveText('20');
    await expect(page.getByTestId('metric-count')).toContainText('20 training points');
    await page.getByTestId('btn-step').click();
    await expect(page.getByTestId('run-step')).toHaveText('21');
    await expect(page.getByTestId('metric-count')).toContainText('21 training points');
    const loss21 = await page.getByTestId('metrics-chart').evaluate((el) => {
      const l = ((el as unknown as { data?: { name: string; x: number[]; y: number[] }[] }).data ?? []).find(
        (t) => t.name === 'train loss',
      );
      return l ? l.y[l.x.indexOf(21)] : NaN;
    });
    // Node's Dawn and Chromium's run the same WGSL on SwiftShader; only f32 round-off in
    // differently compiled kernels may differ (1e-5 relative leaves a wide margin), while a
    // fresh model or a wrong batch position is off by far more (the first step's loss is over 2× this one).
    expect(Math.abs(loss21 - cliTrain[20].loss) / cliTrain[20].loss).toBeLessThan(1e-5);
    expect(cliTrain[0].loss / cliTrain[20].loss).toBeGreaterThan(2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
