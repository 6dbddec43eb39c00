/**
 * `physml export (RUN.json | DIR) --format onnx|safetensors --out FILE [--weights W]`:
 * builds the run's model (with its data, which can decide input widths), loads the weights
 * with the strict check and writes them or the ONNX model, without training. A run
 * directory brings its run.json and, unless --weights says otherwise, weights.safetensors.
 */
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSafetensors } from '../export/safetensors';
import { parseArgs, UsageError } from './args';
import { buildRun, checkGpuErrors, loadWeights, runStateDict } from './build';
import { userPath } from './paths';
import { readRunFile } from './runFile';
import type { OnnxExportOptions } from '../tasks/types';

const USAGE =
  'usage: physml export (RUN.json | DIR) --format onnx|safetensors --out FILE [--weights W.safetensors]\n' +
  '  SPANet (spanet-v2) ONNX, as upstream spanet/export.py: [--opset 14..18 (default 15)] [--input-log-transform] [--output-log-transform] [--output-embeddings]';
/** spanet/export.py's switches: our option name → OnnxExportOptions key. */
const ONNX_SWITCHES = {
  'input-log-transform': 'inputLogTransform',
  'output-log-transform': 'outputLogTransform',
  'output-embeddings': 'outputEmbeddings',
} as const;
const log = (line: string) => process.stderr.write(`${line}\n`);

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export async function exportCommand(argv: string[]): Promise<number> {
  const { positional, options } = parseArgs(argv, {
    format: 'string',
    out: 'string',
    weights: 'string',
    opset: 'int',
    'input-log-transform': 'bool',
    'output-log-transform': 'bool',
    'output-embeddings': 'bool',
  });
  if (positional.length !== 1) throw new UsageError(USAGE);
  const format = options.format;
  if (format !== 'onnx' && format !== 'safetensors')
    throw new UsageError(`--format must be onnx or safetensors${format ? `, got "${format}"` : ''}`);
  if (options.out === undefined) throw new UsageError(`--out FILE is required (${USAGE})`);
  const src = userPath(positional[0]);
  const fromDir = isDirectory(src);
  const runPath = fromDir ? join(src, 'run.json') : src;
  const rc = readRunFile(runPath);
  const onnxOptions: OnnxExportOptions = {};
  if (options.opset !== undefined) onnxOptions.opset = options.opset as number;
  for (const [flag, key] of Object.entries(ONNX_SWITCHES)) if (options[flag]) onnxOptions[key] = true;
  if (Object.keys(onnxOptions).length && (format !== 'onnx' || rc.task !== 'spanet'))
    throw new UsageError(`--opset and the log-transform / embedding switches are SPANet ONNX options (format onnx, task spanet)`);
  const weights = options.weights !== undefined ? userPath(options.weights as string) : fromDir ? join(src, 'weights.safetensors') : null;
  if (!weights) throw new UsageError(`--weights W.safetensors is required when exporting from a RUN.json (a run directory brings its own)`);
  const out = userPath(options.out as string);

  const { engine, run } = await buildRun(rc, log, runPath);
  try {
    const report = loadWeights(run, rc.task, weights);
    log(`loaded ${report.loaded} tensors from ${weights}`);
    let bytes: Uint8Array;
    if (format === 'onnx') {
      if (!run.exportOnnx) throw new Error(`the task ${rc.task} cannot export ONNX yet`);
      bytes = await run.exportOnnx(onnxOptions);
      if (run.lastOnnxCheck) log(run.lastOnnxCheck);
    } else {
      bytes = encodeSafetensors(await runStateDict(run, rc.task, log), { task: rc.task, format: 'pt' });
    }
    checkGpuErrors(engine);
    writeFileSync(out, bytes);
    log(`wrote ${out} (${bytes.byteLength} bytes)`);
    return 0;
  } finally {
    run.dispose();
  }
}
