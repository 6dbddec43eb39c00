/**
 * Prints the group/dataset tree of an HDF5 file and its detected kind.
 *   npx tsx src/cli/inspect.ts <file.h5> [--entries N]
 * Exit code 1 with a DataFileError message when the file cannot be used.
 */
import { DataFileError } from '../data/errors';
import { detectKind, type FileSummary } from '../data/detect';
import { openNodeH5 } from '../data/h5/node';
import { buildTree, formatTree } from '../data/h5/tree';

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
        ...s.layout.sources.map((x) => `  input ${x.name} (${x.kind}${x.kind === 'sequential' ? `, up to ${x.maxLength}` : ''}): ${x.features.join(', ')}`),
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

async function main(): Promise<number> {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: tsx src/cli/inspect.ts <file.h5>');
    return 2;
  }
  try {
    const src = await openNodeH5(file);
    try {
      const tree = buildTree(src);
      console.log(formatTree(tree));
      console.log('');
      const summary = detectKind(src, tree);
      console.log(`kind: ${summary.kind}`);
      console.log(describe(summary));
    } finally {
      src.close();
    }
    return 0;
  } catch (e) {
    if (e instanceof DataFileError) {
      console.error(`error [${e.code}]: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = await main();
