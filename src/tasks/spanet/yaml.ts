/**
 * The YAML subset SPANet event files use: nested block mappings by indentation, block
 * sequences ("- item"), flow sequences ("[a, b]", nested allowed), plain scalars, "#"
 * comments and empty values (null). Anchors, multi-line strings and flow mappings are
 * not part of that subset and are reported as errors with their line number.
 */
export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

interface Line { indent: number; text: string; no: number }

export class YamlError extends Error {
  constructor(message: string, readonly line: number) {
    super(`event file line ${line}: ${message}`);
  }
}

function stripComment(s: string): string {
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) { if (c === quote) quote = ''; continue; }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(s[i - 1]))) return s.slice(0, i);
  }
  return s;
}

function scalar(raw: string, no: number): YamlValue {
  const s = raw.trim();
  if (s === '' || s === '~' || s === 'null') return null;
  if (s.startsWith('[')) return flowSequence(s, no);
  if (s.startsWith('{') || s.startsWith('&') || s.startsWith('*') || s.startsWith('|') || s.startsWith('>')) {
    throw new YamlError(`"${s}" uses YAML beyond the subset of SPANet event files`, no);
  }
  if ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'"))) return s.slice(1, -1);
  if (s === 'true' || s === 'True') return true;
  if (s === 'false' || s === 'False') return false;
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return Number(s);
  return s;
}

function flowSequence(s: string, no: number): YamlValue[] {
  let pos = 0;
  const parse = (): YamlValue[] => {
    if (s[pos] !== '[') throw new YamlError(`expected "[" in "${s}"`, no);
    pos++;
    const out: YamlValue[] = [];
    let token = '';
    const flush = () => {
      if (token.trim()) out.push(scalar(token, no));
      token = '';
    };
    while (pos < s.length) {
      const c = s[pos];
      if (c === '[') { out.push(parse()); continue; }
      pos++;
      if (c === ']') { flush(); return out; }
      if (c === ',') flush();
      else token += c;
    }
    throw new YamlError(`unclosed "[" in "${s}"`, no);
  };
  const v = parse();
  if (s.slice(pos).trim()) throw new YamlError(`unexpected "${s.slice(pos)}" after a list`, no);
  return v;
}

export function parseYaml(text: string): YamlValue {
  const lines: Line[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.includes('\t')) throw new YamlError('tabs are not allowed for indentation', i + 1);
    const body = stripComment(raw).replace(/\s+$/, '');
    if (!body.trim() || body.trim() === '---') return;
    lines.push({ indent: body.length - body.trimStart().length, text: body.trim(), no: i + 1 });
  });
  let pos = 0;

  function block(indent: number): YamlValue {
    if (pos >= lines.length || lines[pos].indent < indent) return null;
    return lines[pos].text.startsWith('- ') || lines[pos].text === '-' ? sequence(lines[pos].indent) : mapping(lines[pos].indent);
  }

  function sequence(indent: number): YamlValue[] {
    const out: YamlValue[] = [];
    while (pos < lines.length && lines[pos].indent === indent && (lines[pos].text.startsWith('- ') || lines[pos].text === '-')) {
      const { text, no } = lines[pos++];
      const rest = text.slice(1).trim();
      if (rest === '') out.push(block(indent + 1));
      else if (/^[^[\]"']+:(\s|$)/.test(rest)) throw new YamlError('mappings inside list items are not supported', no);
      else out.push(scalar(rest, no));
    }
    return out;
  }

  function mapping(indent: number): { [key: string]: YamlValue } {
    const out: { [key: string]: YamlValue } = {};
    while (pos < lines.length && lines[pos].indent === indent) {
      const { text, no } = lines[pos];
      const m = /^("[^"]*"|'[^']*'|[^:]+?):(\s+(.*))?$/.exec(text);
      if (!m) throw new YamlError(`expected "key: value", got "${text}"`, no);
      pos++;
      const key = m[1].replace(/^["']|["']$/g, '');
      const rest = (m[3] ?? '').trim();
      if (rest) out[key] = scalar(rest, no);
      // A sequence may sit at the key's own indentation (common YAML style).
      else if (pos < lines.length && (lines[pos].indent > indent || (lines[pos].indent === indent && lines[pos].text.startsWith('-')))) {
        out[key] = lines[pos].indent === indent ? sequence(indent) : block(indent + 1);
      } else out[key] = null;
    }
    if (pos < lines.length && lines[pos].indent > indent) throw new YamlError('unexpected indentation', lines[pos].no);
    return out;
  }

  const root = block(0);
  if (pos < lines.length) throw new YamlError('unexpected indentation', lines[pos].no);
  return root;
}
