/**
 * `physml <command>`: the workbench's engine on Node + Dawn (SwiftShader without a GPU).
 * Every command returns its exit code; nothing calls process.exit, so stdout drains fully
 * into a pipe (`physml oc-loss e.json | jq .`) before the process ends.
 */
import { UsageError } from './args';

const HELP = `physml — train, export and inspect with the workbench's WebGPU engine on Node (Dawn)

usage:
  physml train RUN.json [--steps N] [--out DIR] [--weights W.safetensors]
      trains headless; writes DIR/metrics.jsonl, DIR/weights.safetensors, DIR/run.json
      (DIR defaults to runs/<name>)
      [--checkpoint-every N] [--checkpoint-minutes M] [--keep K] [--best METRIC]
      checkpoints into DIR/checkpoints/ every N steps and/or M minutes and at the end,
      keeping the last K (default 3) and the best by the test METRIC
      [--resume DIR]  continues DIR's run from its newest checkpoint, exactly
  physml export (RUN.json | DIR) --format onnx|safetensors --out FILE [--weights W.safetensors]
      builds the model of a run, loads its weights (DIR/weights.safetensors by default for
      a run directory) and writes it without training
  physml evaluate RUN.json --weights W.safetensors [--file TEST.h5] [--out report.json] [--json] [--lines N]
      SPANet's spanet.test for a run's weights: the tables per event type and jet-count bin,
      jet accuracy i-of-j and detection metrics on every event of TEST.h5 (default: the
      RUN.json's data.test, else the run's held-out events); --json prints JSON, --out writes it
  physml inspect <file.h5> [--check]
      the tree of groups and datasets and the detected kind of an HDF5 file
  physml oc-loss <event.json> [--fused]
      object condensation losses and gradients of one event as JSON
  physml event <EVENT.yaml>
      a SPANet event file's parsed description as JSON (exit 1: the line and the problem)
  physml help
      this text

Relative paths are resolved against the directory the command is run from.`;

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  train: async () => (await import('./train')).trainCommand,
  export: async () => (await import('./export')).exportCommand,
  evaluate: async () => (await import('./evaluate')).evaluateCommand,
  inspect: async () => (await import('./inspect')).inspectCommand,
  'oc-loss': async () => (await import('./oc-loss')).ocLossCommand,
  event: async () => (await import('../tasks/spanet/eventCommand')).eventCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    (name ? process.stdout : process.stderr).write(`${HELP}\n`);
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`physml: unknown command "${name}" (commands: ${[...Object.keys(COMMANDS), 'help'].join(', ')})\n`);
    return 2;
  }
  try {
    return await (
      await load()
    )(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`physml ${name}: ${err.message}\n`);
      return 2;
    }
    const debug = !!process.env.PHYSML_DEBUG;
    const text = err instanceof Error ? (debug ? (err.stack ?? err.message) : err.message) : String(err);
    process.stderr.write(`physml ${name}: ${text}\n`);
    return 1;
  }
}
