/**
 * Subscriber CSV import and export (SPEC §6): streamed both ways, so a list of any length
 * costs one batch of memory (plus the set of addresses seen, to report duplicates). Exported
 * cells a spreadsheet would run as formulas are escaped, and the escape is undone on import.
 */
import { Readable, Transform, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import { stringify } from 'csv-stringify';
import { parseSubscription, type Subscriber, type SubscriptionInput } from '../../domain/subscriber.js';
import type { SubscriberStore } from '../../store/subscribers.js';
import type { ImportColumn, SubscriberImporter } from './subscriber-import.js';

/** The columns an export writes, in order; an import reads the first four. */
export const SUBSCRIBER_CSV_COLUMNS = ['email', 'frequency', 'categories', 'name', 'state', 'created_at', 'confirmed_at'] as const;

/** The CSV's header row cannot be imported (it has no `email` column). */
export class CsvHeaderError extends Error {
  override readonly name = 'CsvHeaderError';
}

/** A row that was skipped, by its first line in the file (the header is line 1). */
export interface BadRow {
  line: number;
  field: string;
  message: string;
}

export interface ImportSubscribersCsvOptions {
  importer: SubscriberImporter;
  /** The newsroom already holds these addresses' consent: import them as confirmed. */
  confirmed: boolean;
  /** @defaultValue () => new Date() */
  now?: () => Date;
  /** Rows per `importMany` call (and transaction). @defaultValue 1000 */
  batchSize?: number;
  /** Called after every row with the rows read and the bytes of the file consumed so far. */
  onProgress?: (progress: { rows: number; bytes: number }) => void;
  /** Called after each batch with the subscribers due a confirmation email (never with `confirmed`). */
  onPending?: (subscribers: Subscriber[]) => Promise<void>;
}

export interface ImportSubscribersCsvResult {
  /** Data rows read, bad ones included. */
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  bad: BadRow[];
}

/**
 * Imports a subscriber CSV (header row; `email` required, `frequency`, `categories` `;`-separated,
 * `name`; UTF-8 with or without BOM; CRLF or LF). Bad rows, duplicates of an earlier row and
 * CSV syntax errors are reported with their line and skipped; the rest go to the store in batches.
 *
 * @throws CsvHeaderError when the header has no `email` column.
 */
export async function importSubscribersCsv(input: Readable, options: ImportSubscribersCsvOptions): Promise<ImportSubscribersCsvResult> {
  const now = options.now ?? (() => new Date());
  const batchSize = options.batchSize ?? 1000;
  const result: ImportSubscribersCsvResult = { rows: 0, created: 0, updated: 0, unchanged: 0, bad: [] };
  // The preferences the file has: an absent column leaves existing subscribers' values alone.
  const columns = new Set<ImportColumn>();
  const firstLineOf = new Map<string, number>();
  let batch: SubscriptionInput[] = [];

  const lines = new LineEndings();
  const parser = parse({
    bom: true,
    columns: (header: string[]) => {
      const names = header.map((name) => String(name).trim().toLowerCase());
      for (const column of ['frequency', 'categories', 'name'] as const) if (names.includes(column)) columns.add(column);
      if (!names.includes('email')) {
        throw new CsvHeaderError(`CSV header has no "email" column (found: ${names.map((name) => `"${name}"`).join(', ') || 'nothing'})`);
      }
      return names;
    },
    relax_column_count: true,
    skip_empty_lines: true,
    // A syntax error spoils one record, not the file: it is reported like any bad row.
    skip_records_with_error: true,
    info: true,
  });
  let lastSkippedLine = 0;
  parser.on('skip', (error: CsvError) => {
    const line = Number(error.lines) || 0;
    // csv-parse may report one broken record twice (an unclosed quote at the end of the file).
    if (line === lastSkippedLine) return;
    lastSkippedLine = line;
    result.rows++;
    result.bad.push({ line, field: '', message: error.message });
  });
  input.on('error', (error) => parser.destroy(error));
  input.pipe(lines).pipe(parser);

  const flush = async () => {
    if (batch.length === 0) return;
    const imported = await options.importer.importMany(batch, { confirmed: options.confirmed, now: now(), columns });
    batch = [];
    result.created += imported.created;
    result.updated += imported.updated;
    result.unchanged += imported.unchanged;
    if (imported.pending.length > 0 && options.onPending) await options.onPending(imported.pending);
  };

  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string | undefined>; info: { lines: number } }>) {
    result.rows++;
    // csv-parse counts the record's last line; a quoted field may have spanned several.
    const line = info.lines - countNewlines(record);
    const cell = (value: string | undefined) => (value === undefined ? undefined : unescapeFormula(value));
    const parsed = parseSubscription({
      email: unescapeFormula(record.email ?? ''),
      frequency: cell(record.frequency),
      categories: cell(record.categories),
      name: cell(record.name),
    });
    if (!parsed.ok) {
      for (const problem of parsed.problems) result.bad.push({ line, ...problem });
    } else {
      const earlier = firstLineOf.get(parsed.value.email);
      if (earlier !== undefined) {
        result.bad.push({ line, field: 'email', message: `${parsed.value.email} is a duplicate of line ${earlier}` });
      } else {
        firstLineOf.set(parsed.value.email, line);
        batch.push(parsed.value);
        if (batch.length >= batchSize) await flush();
      }
    }
    options.onProgress?.({ rows: result.rows, bytes: lines.bytes });
  }
  await flush();
  result.bad.sort((a, b) => a.line - b.line);
  return result;
}

/**
 * Writes every subscriber as CSV, a page at a time, waiting whenever `output` is full. The
 * output is left open for the caller. An exported file imports back unchanged.
 * @returns how many subscribers were written.
 */
export async function exportSubscribersCsv(store: SubscriberStore, output: Writable): Promise<number> {
  let count = 0;
  async function* records() {
    for await (const page of store.pages()) {
      for (const subscriber of page) {
        count++;
        yield toCsvRecord(subscriber);
      }
    }
  }
  // pipeline reads the next page only as fast as `output` drains.
  await pipeline(Readable.from(records()), stringify({ header: true, columns: [...SUBSCRIBER_CSV_COLUMNS] }), output, { end: false });
  // With the output left open, pipeline resolves while writes may still be queued in it: an
  // empty write's callback runs once every earlier write has been handled.
  await new Promise<void>((resolve, reject) => output.write('', (error) => (error ? reject(error) : resolve())));
  return count;
}

function toCsvRecord(subscriber: Subscriber): Record<(typeof SUBSCRIBER_CSV_COLUMNS)[number], string> {
  return {
    email: escapeFormula(subscriber.email),
    frequency: escapeFormula(subscriber.frequency),
    categories: escapeFormula(subscriber.categories.join(';')),
    name: escapeFormula(subscriber.name ?? ''),
    state: subscriber.state,
    created_at: subscriber.createdAt.toISOString(),
    confirmed_at: subscriber.confirmedAt?.toISOString() ?? '',
  };
}

// A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
// (`=HYPERLINK(…)` in a sign-up name runs on the desk that opens the export): OWASP "CSV injection".
const FORMULA = /^'*[=+\-@\t\r]/;
const ESCAPED_FORMULA = /^'+[=+\-@\t\r]/;

/**
 * The cell with a `'` in front when a spreadsheet would read it as a formula; the `'` makes it
 * text. Cells already starting with `'`s before such a character get one more, so
 * {@link unescapeFormula} gives every cell back exactly.
 */
export function escapeFormula(cell: string): string {
  return FORMULA.test(cell) ? `'${cell}` : cell;
}

/** Undoes {@link escapeFormula}: drops one leading `'` when `'`s and then a formula character start the cell. */
export function unescapeFormula(cell: string): string {
  return ESCAPED_FORMULA.test(cell) ? cell.slice(1) : cell;
}

function countNewlines(record: Record<string, string | undefined>): number {
  let count = 0;
  for (const value of Object.values(record)) if (value) for (const char of value) if (char === '\n') count++;
  return count;
}

/**
 * Turns CRLF into LF before parsing: csv-parse counts a CRLF inside a quoted field as two
 * lines, which would put every later line number out by one. Also counts the bytes read.
 */
class LineEndings extends Transform {
  bytes = 0;
  private pendingCr = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    let text = chunk.toString('latin1');
    if (this.pendingCr) text = `\r${text}`;
    // A chunk may end between the CR and the LF: hold the CR back until the next one.
    this.pendingCr = text.endsWith('\r');
    if (this.pendingCr) text = text.slice(0, -1);
    // latin1 maps bytes 1:1, so multi-byte UTF-8 sequences split across chunks pass through intact.
    callback(null, Buffer.from(text.replace(/\r\n/g, '\n'), 'latin1'));
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.pendingCr ? Buffer.from('\r', 'latin1') : null);
  }
}
