/**
 * Plain-text tables and the few formats the CLI shows people (`status`, `doctor`): columns
 * padded to the widest cell as a terminal shows it (wide characters count two, colour codes
 * none), long cells cut with an ellipsis, no trailing spaces.
 */

export interface TableColumn {
  /** Shown above the column; an empty header everywhere leaves the header row out. */
  header: string;
  /** @defaultValue 'left' */
  align?: 'left' | 'right';
  /** Longer cells are cut with an ellipsis. @defaultValue no limit */
  maxWidth?: number;
}

export interface TableOptions {
  /** Spaces before every line. @defaultValue 0 */
  indent?: number;
  /** Spaces between columns. @defaultValue 2 */
  gap?: number;
}

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** Columns a terminal gives `text`. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const { segment } of graphemes.segment(text.replace(ANSI, ''))) width += isWide(segment.codePointAt(0) ?? 0) ? 2 : 1;
  return width;
}

/** `text` cut to `width` columns, ending in `…` when cut. */
export function truncate(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 0) return '';
  let result = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text.replace(ANSI, ''))) {
    const next = isWide(segment.codePointAt(0) ?? 0) ? 2 : 1;
    if (used + next > width - 1) break;
    result += segment;
    used += next;
  }
  return `${result.trimEnd()}…`;
}

/** `text` padded with spaces to `width` columns. */
export function pad(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}

/** The table as lines joined by `\n`, without a final newline. */
export function renderTable(columns: readonly TableColumn[], rows: readonly (readonly string[])[], options: TableOptions = {}): string {
  const cells = rows.map((row) => columns.map((column, index) => fit(oneLine(row[index] ?? ''), column.maxWidth)));
  const withHeader = columns.some((column) => column.header !== '');
  const all = withHeader ? [columns.map((column) => column.header), ...cells] : cells;
  const widths = columns.map((_, index) => Math.max(0, ...all.map((row) => displayWidth(row[index]!))));
  const indent = ' '.repeat(options.indent ?? 0);
  const gap = ' '.repeat(options.gap ?? 2);
  return all
    .map((row) => indent + row.map((cell, index) => pad(cell, widths[index]!, columns[index]!.align)).join(gap))
    .map((line) => line.trimEnd())
    .join('\n');
}

/** "45 s", "12 min", "3 h 5 min", "2 days". */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  return `${Math.round(hours / 24)} days`;
}

/** "38/s", "2.5/s", "12/min" for slow ones. */
export function formatRate(perSecond: number): string {
  if (perSecond >= 10) return `${Math.round(perSecond)}/s`;
  if (perSecond >= 1) return `${perSecond.toFixed(1)}/s`;
  return `${Math.max(1, Math.round(perSecond * 60))}/min`;
}

/** "2026-03-02 09:00" (with seconds: "…:00:05") in `timeZone`. */
export function formatTime(date: Date, timeZone: string, options: { seconds?: boolean } = {}): string {
  // Sweden writes dates the ISO way.
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    ...(options.seconds ? { second: '2-digit' } : {}),
    hourCycle: 'h23',
  }).format(date);
}

/** A cell is one line: a multi-line error shows its first line's worth. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}

function fit(text: string, maxWidth: number | undefined): string {
  return maxWidth === undefined ? text : truncate(text, maxWidth);
}

/** East Asian wide and fullwidth characters and emoji: two terminal columns. */
function isWide(codePoint: number): boolean {
  return (
    (codePoint >= 0x1100 && codePoint <= 0x115f) ||
    (codePoint >= 0x2e80 && codePoint <= 0xa4cf && codePoint !== 0x303f) ||
    (codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0xfe30 && codePoint <= 0xfe4f) ||
    (codePoint >= 0xff00 && codePoint <= 0xff60) ||
    (codePoint >= 0xffe0 && codePoint <= 0xffe6) ||
    (codePoint >= 0x1f300 && codePoint <= 0x1f64f) ||
    (codePoint >= 0x1f900 && codePoint <= 0x1f9ff) ||
    (codePoint >= 0x20000 && codePoint <= 0x3fffd)
  );
}
