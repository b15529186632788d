/**
 * `syndicate subscribers import <file.csv> [--confirmed]` and `syndicate subscribers export`
 * (SPEC §6). Bad rows are reported and skipped; only an unreadable file or header fails.
 */
import { open as openFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import type { Subscriber } from '../../domain/subscriber.js';
import { CsvHeaderError, exportSubscribersCsv, importSubscribersCsv } from './csv.js';
import type { SubscriberImporter } from './subscriber-import.js';
import type { SubscriptionService } from './subscriptions.js';
import type { SubscriberStore } from '../../store/subscribers.js';

/** What the `subscribers` commands use of an opened Syndicate's newsletter. */
export interface SubscribersCommandServices {
  subscribers: SubscriberStore;
  importer: SubscriberImporter;
  subscriptions: SubscriptionService;
}

export const SUBSCRIBERS_USAGE = `Usage:
  syndicate subscribers import <file.csv> [--confirmed]   add or update subscribers from a CSV
  syndicate subscribers export                            write every subscriber as CSV to standard output`;

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
  let parsed: { positionals: string[]; values: { confirmed?: boolean } };
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { confirmed: { type: 'boolean' } } });
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
  return usage(io, action ? `unknown subscribers command "${action}"` : 'name import or export');
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
      importer: syndicate.importer,
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
