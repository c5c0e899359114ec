// Plain aligned columns (like systemctl list-units without colours): scriptable, readable over SSH.

/** Pads every column but the last to its widest cell, two spaces apart. Empty cells show as '-'. */
export function formatTable(headers: string[], rows: string[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === '' ? '-' : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => [...(r[i] ?? '')].length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - [...c].length)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
