/**
 * The evaluation report as text: the tables exactly as SPANet v2's `spanet.test` prints them
 * (test.py display_table / create_table: one table per event type, columns Jet Limit, Event
 * Proportion, Jet Proportion, Event Purity and one purity per cluster, values "{:.3f}", NaN
 * "N/A"), then the validation metrics upstream logs (jet accuracy i-of-j, detection metrics) in
 * the same style.
 */
import type { TestReport } from './testReport';

/** Python's "{:.3f}": correctly rounded, exact ties to even (toFixed breaks them upwards). */
export function format3(x: number): string {
  if (Number.isNaN(x)) return 'N/A';
  // a tie at the third decimal is (2m + 1) / 16 exactly: x · 16 is exact, so this test is too
  if (Number.isInteger(x * 16) && (x * 16) % 2 !== 0) {
    const n = Math.floor(Math.abs(x) * 1000);
    const even = n % 2 === 0 ? n : n + 1;
    return `${x < 0 ? '-' : ''}${(even / 1000).toFixed(3)}`;
  }
  return x.toFixed(3);
}

const capitalize = (w: string) => (w ? w[0].toUpperCase() + w.slice(1).toLowerCase() : w);

/** create_table: columns of strings, each padded to its longest value, header and value cells alike. */
export function textTable(columns: [string, string[]][], eventType?: string): string {
  const widths = columns.map(([key, values]) => key.length + Math.max(...values.map((v) => v.length)));
  const separator = widths.map((w) => '-'.repeat(w + 2) + '+-').join('');
  const header = columns.map(([key], i) => key + ' '.repeat(widths[i] - key.length + 2) + '| ').join('');
  let out = '';
  if (eventType !== undefined) out += `\n${separator}\nEvent Type: ${eventType}\n`;
  out += `${separator}\n${header}\n${separator}\n`;
  const rows = columns[0][1].length;
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    lines.push(
      columns
        .map(([key, values], i) => {
          const width = widths[i] - key.length + 1;
          return values[r].padEnd(width) + ' ' + ' '.repeat(key.length) + '| ';
        })
        .join(''),
    );
  }
  return `${out}${lines.join('\n')}\n${separator}\n`;
}

/** display_table: every event type in sorted order, each followed by an empty line. */
export function spanetTestTables(report: TestReport): string {
  const first = report.results[report.jetLimits[0]] ?? {};
  const types = [
    ...new Set(
      Object.keys(first)
        .filter((k) => k.includes('/'))
        .map((k) => k.split('/')[0]),
    ),
  ].sort();
  let out = '';
  for (const type of types) {
    const cols = new Map<string, string[]>();
    const push = (name: string, v: string) => {
      if (!cols.has(name)) cols.set(name, []);
      cols.get(name)!.push(v);
    };
    for (const limit of report.jetLimits) {
      const row = report.results[limit];
      push('Jet Limit', limit);
      push('Event Proportion', format3(row[`${type}/event_proportion`]));
      push('Jet Proportion', format3(row.event_jet_proportion));
      push('Event Purity', format3(row[`${type}/event_purity`]));
      const particleKeys = Object.keys(row)
        .filter((k) => k.includes(type) && !k.includes('event'))
        .map((k) => k.split('/')[1])
        .sort();
      for (const key of particleKeys) push(key.split('_').map(capitalize).join(' '), format3(row[`${type}/${key}`]));
    }
    out += textTable([...cols.entries()], type) + '\n';
  }
  return out;
}

/** Jet accuracy i-of-j as a grid (rows: present particles j, columns: at least i right) and the detection metrics. */
export function validationTables(report: TestReport): string {
  const v = report.validation;
  const P = report.clusters.reduce((a, c) => a + c.indices.length, 0);
  const grid = (prefix: string, title: string) => {
    if (!(`${prefix}/accuracy_1_of_1` in v)) return '';
    const cols: [string, string[]][] = [['Particles', Array.from({ length: P }, (_, j) => String(j + 1))]];
    for (let i = 1; i <= P; i++) {
      cols.push([
        `>= ${i} Right`,
        Array.from({ length: P }, (_, j) => (i <= j + 1 ? format3(v[`${prefix}/accuracy_${i}_of_${j + 1}`]) : '')),
      ]);
    }
    return `${title}\n${textTable(cols)}\n`;
  };
  let out = grid('jet', 'Jet accuracy i of j (events with j present particles, share with at least i assigned right)');
  out += grid('particle', 'Detection accuracy i of j (events with j present particles, share with at least i detections right)');
  const names: [string, string][] = [
    ['Accuracy', 'particle/accuracy'],
    ['Sensitivity', 'particle/sensitivity'],
    ['Specificity', 'particle/specificity'],
    ['F1', 'particle/f_score'],
    ['Validation Accuracy', 'validation_accuracy'],
    ['Average Jet Accuracy', 'validation_average_jet_accuracy'],
  ];
  const present = names.filter(([, k]) => k in v);
  out += `Detection and summary (${report.events} events)\n`;
  out += textTable(present.map(([label, k]) => [label, [format3(v[k])]])) + '\n';
  return out;
}

/** What `physml evaluate` prints. */
export function spanetReportText(report: TestReport): string {
  return spanetTestTables(report) + validationTables(report);
}
