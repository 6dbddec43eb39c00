/**
 * `physml inspect <file.h5> [--check]`: prints the group/dataset tree of an HDF5 file and its
 * detected kind. Exit code 1 with a message naming the path tried when the file cannot be
 * used. `--check` also reads every entry through the stream's entry readers (those of the
 * file's training options) and exits 1 naming the file, dataset and first bad entry.
 */
import { statSync } from 'node:fs';
import { DataFileError } from '../data/errors';
import { detectKind, type FileSummary } from '../data/detect';
import { openNodeH5 } from '../data/h5/node';
import { buildTree, formatTree } from '../data/h5/tree';
import { readCheck } from '../data/stream/check';
import { trainingOptions } from '../tasks/fromFile/options';
import { parseArgs } from './args';
import { userPath } from './paths';

function describe(s: FileSummary): string {
  switch (s.kind) {
    case 'larcv3':
      return [
        `larcv3: ${s.numEntries} entries`,
        ...s.products.map((p) => `  ${p.type}/${p.producer}: ${p.nEntries} entries${p.supported ? '' : ' (not supported)'}`),
      ].join('\n');
    case 'spanet':
      return [
        `SPANet: ${s.layout.nEvents} events`,
        ...s.layout.sources.map(
          (x) => `  input ${x.name} (${x.kind}${x.kind === 'sequential' ? `, up to ${x.maxLength}` : ''}): ${x.features.join(', ')}`,
        ),
        ...s.layout.targets.map((t) => `  target ${t.particle}: ${t.products.join(', ')}`),
        `  regressions: ${s.layout.regressions.join(', ') || '-'}`,
        `  classifications: ${s.layout.classifications.join(', ') || '-'}`,
      ].join('\n');
    case 'generic':
      return [
        `generic HDF5: ${s.layout.numericDatasets} numeric datasets`,
        ...s.layout.tables.map((t) => `  table ${t.path} (${t.kind}, ${t.rows} rows): ${t.columns.slice(0, 12).join(', ')}`),
        ...s.layout.jagged.map((j) => `  jagged ${j.values} by ${j.offsets} (${j.mode})`),
      ].join('\n');
  }
}

/** Why a path cannot be opened as a file, or null when it is a readable regular file. */
export function pathProblem(path: string): string | null {
  try {
    const st = statSync(path);
    if (st.isDirectory()) return 'is a directory, expected an HDF5 file';
    if (!st.isFile()) return 'is not a regular file';
    return null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'file not found' : `cannot be read (${code ?? (e as Error).message})`;
  }
}

export async function inspectCommand(argv: string[]): Promise<number> {
  const { positional, options } = parseArgs(argv, { check: 'bool' });
  if (positional.length !== 1) {
    console.error('usage: physml inspect <file.h5> [--check]');
    return 2;
  }
  const path = userPath(positional[0]);
  const problem = pathProblem(path);
  if (problem) {
    console.error(`inspect: ${path}: ${problem}`);
    return 1;
  }
  try {
    const src = await openNodeH5(path);
    try {
      const tree = buildTree(src);
      console.log(formatTree(tree));
      console.log('');
      const summary = detectKind(src, tree);
      console.log(`kind: ${summary.kind}`);
      console.log(describe(summary));
      if (options.check) {
        const requests = trainingOptions(summary, tree).map((o) => o.request);
        if (!requests.length) console.log('read check: no entry reader applies to this layout (nothing read)');
        const r = await readCheck(src, requests);
        for (const line of r.checked) console.log(`read check: ${line} OK`);
        if (!r.ok) {
          console.error(`inspect: read check failed: ${r.error!.message}`);
          return 1;
        }
        if (requests.length) console.log(`read check: all ${r.entries} entries read`);
      }
    } finally {
      src.close();
    }
    return 0;
  } catch (e) {
    if (e instanceof DataFileError) console.error(`inspect: ${path}: error [${e.code}]: ${e.message}`);
    else console.error(`inspect: ${path}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
