/**
 * A real SMTP server in the test process (`smtp-server`) that keeps what it receives, parsed
 * with mailparser. No TLS, any login accepted. `refuse` makes it answer RCPT TO with an error
 * code, to test 4xx retries and 5xx bounces; `onMessage` can hold messages unanswered (never
 * accepted, as when a server hangs) until `accepting()`.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  /** The message as received; empty with `parse: false`. */
  raw: Buffer;
  /** The parsed message; an empty placeholder with `parse: false`. */
  parsed: ParsedMail;
}

export interface SmtpSink {
  /** `smtp://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Every message received, in order of arrival. */
  messages: ReceivedMail[];
  /** Resolves with the messages once at least `count` arrived; rejects after `timeoutMs` (default 10 s). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** The next `times` (default 1) RCPT TO for `address` (any address when '*') are answered with `code`. */
  refuse(address: string, code: number, times?: number): void;
  /** From now on every message is accepted; `onMessage` is no longer asked. Held ones stay unanswered. */
  accepting(): void;
  close(): Promise<void>;
}

/** What happens to a message whose DATA has arrived: kept and answered 250, or never answered. */
export type SinkDecision = 'accept' | 'hold';

export interface SmtpSinkOptions {
  /** Default true; false for benchmarks: keep only counts and envelopes. */
  parse?: boolean;
  /** Asked once per message at the end of its DATA; a held message is not kept and gets no answer. */
  onMessage?: (envelope: ReceivedMail['envelope']) => SinkDecision;
}

interface Refusal {
  address: string;
  code: number;
  remaining: number;
}

const UNPARSED = Object.freeze({ headers: new Map(), headerLines: [], attachments: [] }) as unknown as ParsedMail;
const EMPTY = Buffer.alloc(0);

/** Starts a sink on a free port of 127.0.0.1. */
export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const parse = options.parse ?? true;
  let decide = options.onMessage;
  const messages: ReceivedMail[] = [];
  const refusals: Refusal[] = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of waiters) waiter();
  };

  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    // Benchmarks send 100,000 messages over a few connections.
    maxClients: 1000,
    // Pooled clients keep connections open; close() should not wait 30 s for them.
    closeTimeout: 1000,
    onAuth(_auth, _session, callback) {
      callback(null, { user: 'sink' });
    },
    onRcptTo(address, _session, callback) {
      const target = address.address.toLowerCase();
      const refusal = refusals.find((r) => r.remaining > 0 && (r.address === '*' || r.address === target));
      if (!refusal) return callback();
      refusal.remaining--;
      const error = Object.assign(new Error(`${refusal.code >= 500 ? 'Mailbox unavailable' : 'Try again later'} (sink)`), {
        responseCode: refusal.code,
      });
      return callback(error);
    },
    onData(stream, session, callback) {
      const envelope = {
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        to: session.envelope.rcptTo.map((recipient) => recipient.address),
      };
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        if (parse) chunks.push(chunk);
      });
      stream.on('error', callback);
      stream.on('end', () => {
        if (decide && decide(envelope) === 'hold') return;
        if (!parse) {
          messages.push({ envelope, raw: EMPTY, parsed: UNPARSED });
          notify();
          return callback();
        }
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (parsed) => {
            messages.push({ envelope, raw, parsed });
            notify();
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });

  // A client killed mid-connection (the crash tests) must not throw in the test process.
  server.on('error', () => {});
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const port = (server.server.address() as AddressInfo).port;

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    waitFor(count, timeoutMs = 10_000) {
      if (messages.length >= count) return Promise.resolve(messages);
      return new Promise((resolve, reject) => {
        const check = () => {
          if (messages.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(messages);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`SMTP sink: ${messages.length} of ${count} messages after ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    refuse(address, code, times = 1) {
      refusals.push({ address: address === '*' ? '*' : address.toLowerCase(), code, remaining: times });
    },
    accepting() {
      decide = undefined;
    },
    close() {
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
