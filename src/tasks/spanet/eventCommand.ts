/**
 * `physml event EVENT.yaml`: SPANet's event file as the complete parsed description (JSON on
 * stdout). Exit 1 with "FILE line N: problem" for an invalid file, 2 for usage errors.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from '../../cli/args';
import { userPath } from '../../cli/paths';
import { eventDescriptionJson, EventFileError, readEventFile } from './eventFile';

export async function eventCommand(argv: string[]): Promise<number> {
  const { positional } = parseArgs(argv, {});
  if (positional.length !== 1) {
    process.stderr.write('usage: physml event <EVENT.yaml>\n');
    return 2;
  }
  const path = userPath(positional[0]);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    process.stderr.write(
      `physml event: ${path}: ${code === 'ENOENT' ? 'file not found' : `cannot be read (${code ?? (e as Error).message})`}\n`,
    );
    return 1;
  }
  try {
    process.stdout.write(`${JSON.stringify(eventDescriptionJson(readEventFile(text)), null, 2)}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof EventFileError)) throw e;
    process.stderr.write(`physml event: ${path} ${e.message}\n`);
    return 1;
  }
}
