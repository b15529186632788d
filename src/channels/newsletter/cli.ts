/**
 * `syndicate subscribers import <file.csv> [--confirmed]`, `syndicate subscribers export`,
 * `syndicate subscribers show <email> [--json]` and `syndicate subscribers forget <email>`
 * (SPEC §6). Bad rows are reported and skipped; only an unreadable file or header fails.
 */
import { open as openFile } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { normaliseEmail, type Subscriber } from '../../domain/subscriber.js';
import { CsvHeaderError, exportSubscribersCsv, importSubscribersCsv } from './csv.js';
import type { SubscriberImporter } from './subscriber-import.js';
import type { SubscriptionService } from './subscriptions.js';
import type { SubscriberStore } from '../../store/subscribers.js';
import { formatSubscriberRecord, readSubscriberRecord, subscriberRecordJson } from './consent-record.js';
import type { Erasure } from './erasure.js';

/** What the `subscribers` commands use of an opened Syndicate's newsletter. */
export interface SubscribersCommandServices {
  subscribers: SubscriberStore;
  importer: SubscriberImporter;
  subscriptions: SubscriptionService;
  erasure: Erasure;
}

export const SUBSCRIBERS_USAGE = `Usage:
  syndicate subscribers import <file.csv> [--confirmed]   add or update subscribers from a CSV
  syndicate subscribers export                            write every subscriber as CSV to standard output
  syndicate subscribers show <email> [--json]             state, consent record and deliveries of one subscriber
  syndicate subscribers forget <email>                    erase the address and its personal data (a hash stays)`;

/** Without a terminal, a progress line is written every this many rows. */
export const PROGRESS_LINE_EVERY = 10_000;

export interface SubscribersCommandIo {
  /** Opens the configured Syndicate (`createSyndicate`); the caller closes it. */
  open: () => Promise<SubscribersCommandServices>;
  /** Where `export` writes the CSV (standard output). */
  output: Writable;
  /** Writes one line to standard error: progress, bad rows, the summary. */
  stderr: (text: string) => void;
  /** Standard error when it is a terminal, for the progress bar; null otherwise. */
  terminal: NodeJS.WriteStream | null;
}

/**
 * Runs `subscribers <args…>`.
 * @returns the exit code: 0 ok (bad rows included: they are reported and skipped), 1 when the
 * file cannot be read, has no email column, or confirmations could not be queued; 2 usage.
 */
export async function runSubscribersCommand(args: string[], io: SubscribersCommandIo): Promise<number> {
  let parsed: { positionals: string[]; values: { confirmed?: boolean; json?: boolean } };
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { confirmed: { type: 'boolean' }, json: { type: 'boolean' } } });
  } catch (error) {
    return usage(io, (error as Error).message);
  }
  const [action, ...rest] = parsed.positionals;
  if (action === 'import') {
    if (rest.length !== 1) return usage(io, 'import needs exactly one CSV file');
    return importFile(rest[0]!, parsed.values.confirmed === true, io);
  }
  if (action === 'export') {
    if (rest.length > 0 || parsed.values.confirmed) return usage(io, 'export takes no arguments');
    const syndicate = await io.open();
    const count = await exportSubscribersCsv(syndicate.subscribers, io.output);
    io.stderr(`exported ${count} subscribers`);
    return 0;
  }
  if (action === 'show' || action === 'forget') {
    if (rest.length !== 1 || parsed.values.confirmed || (action === 'forget' && parsed.values.json)) {
      return usage(io, `${action} takes exactly one email address${action === 'show' ? ' (and --json)' : ''}`);
    }
    const email = normaliseEmail(rest[0]!);
    if (!email.ok) return usage(io, `${rest[0]}: ${email.message}`);
    const syndicate = await io.open();
    return action === 'show'
      ? showSubscriber(syndicate, email.email, parsed.values.json === true, io)
      : forgetSubscriber(syndicate, email.email, io);
  }
  return usage(io, action ? `unknown subscribers command "${action}"` : 'name import, export, show or forget');
}

/** `show`: the record on standard output; exit 1 when there is no such subscriber. */
async function showSubscriber(
  syndicate: SubscribersCommandServices,
  email: string,
  json: boolean,
  io: SubscribersCommandIo,
): Promise<number> {
  const record = await readSubscriberRecord(syndicate.subscribers, email);
  if (!record) {
    io.stderr(`syndicate subscribers show: no subscriber with the address ${email}`);
    return 1;
  }
  io.output.write(json ? `${JSON.stringify(subscriberRecordJson(record), null, 2)}\n` : `${formatSubscriberRecord(record).join('\n')}\n`);
  return 0;
}

/** `forget`: erases the address (also when no subscriber has it: its hash keeps imports from adding it). */
async function forgetSubscriber(syndicate: SubscribersCommandServices, email: string, io: SubscribersCommandIo): Promise<number> {
  const result = await syndicate.erasure.forget(email);
  io.stderr(
    result.found
      ? `erased ${result.email}: subscriber and consent record deleted, ${result.ledgerRows} ledger rows kept without personal data, ${result.outboxFiles} outbox emails deleted; an import will not add the address again`
      : `no subscriber had ${result.email}; its hash is kept all the same, so an import will not add it`,
  );
  return 0;
}

function usage(io: SubscribersCommandIo, message: string): number {
  io.stderr(`syndicate subscribers: ${message}\n\n${SUBSCRIBERS_USAGE}`);
  return 2;
}

async function importFile(file: string, confirmed: boolean, io: SubscribersCommandIo): Promise<number> {
  // Opened before the Syndicate, so a wrong path fails at once and with its own message.
  let handle;
  try {
    handle = await openFile(file, 'r');
  } catch (error) {
    io.stderr(`syndicate subscribers import: cannot read ${file}: ${(error as Error).message}`);
    return 1;
  }
  const size = (await handle.stat()).size;
  const input = handle.createReadStream();
  const progress = createProgress(io, size);
  let failedConfirmations = 0;
  let firstFailure = '';

  try {
    const syndicate = await io.open();
    const result = await importSubscribersCsv(input, {
      // The file's name goes into each added subscriber's consent record.
      importer: syndicate.importer.forFile(path.basename(file)),
      confirmed,
      onProgress: progress.update,
      onPending: async (subscribers: Subscriber[]) => {
        for (const subscriber of subscribers) {
          try {
            await syndicate.subscriptions.sendConfirmation(subscriber);
          } catch (error) {
            // Left unmarked, so importing the file again later retries these.
            failedConfirmations++;
            firstFailure ||= `${subscriber.email}: ${(error as Error).message}`;
          }
        }
      },
    });
    progress.stop();
    for (const bad of result.bad) io.stderr(`line ${bad.line}: ${bad.field || 'row'}: ${bad.message}`);
    io.stderr(
      `imported ${result.rows} rows: ${result.created} created, ${result.updated} updated, ${result.unchanged} unchanged, ${result.bad.length} bad`,
    );
    if (failedConfirmations > 0) {
      io.stderr(`could not queue ${failedConfirmations} confirmation emails (first: ${firstFailure}); import the file again to retry`);
      return 1;
    }
    return 0;
  } catch (error) {
    progress.stop();
    if (error instanceof CsvHeaderError) {
      io.stderr(`syndicate subscribers import: ${file}: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    input.destroy();
    await handle.close().catch(() => undefined);
  }
}

interface Progress {
  update: (progress: { rows: number; bytes: number }) => void;
  stop: () => void;
}

/** A bar on a terminal; otherwise a line every {@link PROGRESS_LINE_EVERY} rows (logs stay short). */
function createProgress(io: SubscribersCommandIo, totalBytes: number): Progress {
  if (io.terminal) {
    const bar = new cliProgress.SingleBar(
      { stream: io.terminal, format: 'importing |{bar}| {percentage}% | {rows} rows', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(Math.max(totalBytes, 1), 0, { rows: 0 });
    let stopped = false;
    return {
      update: ({ rows, bytes }) => bar.update(bytes, { rows }),
      stop: () => {
        if (!stopped) bar.stop();
        stopped = true;
      },
    };
  }
  return {
    update: ({ rows }) => {
      if (rows % PROGRESS_LINE_EVERY === 0) io.stderr(`… ${rows} rows read`);
    },
    stop: () => undefined,
  };
}
