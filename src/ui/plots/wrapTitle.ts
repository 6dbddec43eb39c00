/**
 * Plotly titles do not wrap: a long one is cut at the card's edge. Breaks `text` at spaces
 * into lines of at most `width` characters (a longer word stays whole on its own line), joined
 * with plotly's `<br>`, and says how many lines it made so the caller can make room.
 */
export function wrapTitle(text: string, width: number): { text: string; lines: number } {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return { text: lines.join('<br>'), lines: Math.max(1, lines.length) };
}
