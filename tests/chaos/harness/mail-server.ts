/**
 * The SMTP server of the chaos tests (`smtp-server`): it keeps each accepted message's recipient
 * and Message-ID (a header read, no full parse: a burst is hundreds of messages), can defer a
 * share of recipients with 451 for a while, and tells the test after each message it accepted
 * (its 250 already written) so that a kill lands in the ambiguous window between the server's
 * acceptance and the service's record of it.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface AcceptedMail {
  to: string;
  messageId: string;
  at: number;
}

export class ChaosMailServer {
  readonly accepted: AcceptedMail[] = [];
  /** RCPT TO answered 451. */
  deferred = 0;
  /** Connections that broke (a killed client resets its sockets). */
  readonly connectionErrors: string[] = [];
  private deferUntil = 0;
  private deferRate = 0;
  private readonly server: SMTPServer;
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly onAccepted?: (count: number) => void) {
    this.server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      allowInsecureAuth: true,
      logger: false,
      maxClients: 1000,
      closeTimeout: 500,
      onRcptTo: (address, _session, callback) => {
        if (Date.now() < this.deferUntil && Math.random() < this.deferRate) {
          this.deferred += 1;
          return callback(Object.assign(new Error('Try again later (greylisted)'), { responseCode: 451 }));
        }
        callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('error', callback);
        stream.on('end', () => {
          const head =
            Buffer.concat(chunks)
              .toString('utf8')
              .split(/\r?\n\r?\n/, 1)[0] ?? '';
          const messageId = /^message-id:\s*(<[^>]*>)/im.exec(head)?.[1] ?? '';
          for (const recipient of session.envelope.rcptTo)
            this.accepted.push({ to: recipient.address.toLowerCase(), messageId, at: Date.now() });
          callback();
          for (const waiter of this.waiters) waiter();
          this.onAccepted?.(this.accepted.length);
        });
      },
    });
  }

  /** Starts on a free port of 127.0.0.1; `onAccepted` hears the count after each accepted message. */
  static async start(onAccepted?: (count: number) => void): Promise<ChaosMailServer> {
    const mail = new ChaosMailServer(onAccepted);
    // A client killed mid-conversation resets its connection: expected here, not a failure.
    mail.server.on('error', (error: Error) => mail.connectionErrors.push(error.message));
    mail.server.listen(0, '127.0.0.1');
    await once(mail.server.server, 'listening');
    return mail;
  }

  get url(): string {
    return `smtp://127.0.0.1:${(this.server.server.address() as AddressInfo).port}`;
  }

  /** For the next `ms`, each recipient is deferred (451) with probability `rate`. */
  defer(rate: number, ms: number): void {
    this.deferRate = rate;
    this.deferUntil = Date.now() + ms;
  }

  /** Resolves once `count` messages were accepted; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs: number): Promise<void> {
    if (this.accepted.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.accepted.length < count) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`SMTP: ${this.accepted.length} of ${count} messages after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
