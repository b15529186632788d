/**
 * A worker killed (SIGKILL) in the middle of a newsletter batch, then restarted, sends the
 * rest and nobody twice. `syndicate start` runs in a child process against SQLite and Redis;
 * the SMTP server lives in the test. When the 120th message arrives the server stops
 * answering (those messages were never accepted, so they must be sent again), gives the
 * service a moment to record what was accepted, and kills it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { SubscriberImporter } from '../../src/channels/newsletter/subscriber-import.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { waitFor } from '../helpers/wait.js';
import { freePort } from '../helpers/ports.js';

const bin = fileURLToPath(new URL('../../bin/syndicate.js', import.meta.url));
const TOKEN = 'newsletter-crash-publisher-token';
const SUBSCRIBERS = 400;

describe('a newsletter worker killed mid-batch', () => {
  const prefix = uniquePrefix('mailcrash');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'syndicate-mailcrash-'));
  let sink: SmtpSink;
  let service: ChildProcess | undefined;
  let output = '';

  afterAll(async () => {
    service?.kill('SIGKILL');
    await sink?.close();
    await deletePrefix(prefix);
  });

  function start(port: number): ChildProcess {
    const child = spawn(process.execPath, [bin, 'start'], {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        DATA_DIR: dataDir,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: prefix,
        PUBLISHER_TOKEN: TOKEN,
        CHANNELS: 'newsletter',
        SMTP_URL: sink.url,
        MAIL_FROM: 'desk@news.test',
        MAIL_RATE: '0',
        // A dead worker's claims are taken over after 2 s instead of a minute.
        MAIL_LEASE_SECONDS: '2',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return child;
  }

  it('restarts, sends the rest, and sends nobody twice', { timeout: 150_000 }, async () => {
    // Subscribers straight into the service's database, before it starts.
    const database = await openDatabase(`sqlite:${path.join(dataDir, 'syndicate.db')}`);
    await migrateToLatest(database);
    const rows = Array.from({ length: SUBSCRIBERS }, (_, i) => ({
      email: `reader-${String(i).padStart(4, '0')}@example.org`,
      frequency: 'immediate' as const,
      categories: [],
      name: null,
    }));
    await new SubscriberImporter(database).importMany(rows, { confirmed: true, now: new Date() });
    await database.close();

    let killed: Promise<void> | undefined;
    sink = await startSmtpSink({
      onMessage: () => {
        if (killed) return 'hold';
        if (sink.messages.length + 1 < 120) return 'accept';
        const victim = service!;
        killed = new Promise((resolve) => {
          // Let the service record every message already accepted, then kill it mid-batch.
          setTimeout(() => {
            victim.once('exit', () => resolve());
            victim.kill('SIGKILL');
          }, 500);
        });
        return 'hold';
      },
    });

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    service = start(port);
    await waitFor(async () => (await fetch(`${base}/readyz`).catch(() => null))?.ok, 20_000, 'the service');
    const published = await fetch(`${base}/api/articles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'crash-story', url: 'https://news.test/crash-story', title: 'Crash story', summary: 'Once each.' }),
    });
    expect(published.status).toBe(202);

    await waitFor(() => killed !== undefined, 20_000, 'the kill').catch((error: Error) => {
      throw new Error(`${error.message}; ${sink.messages.length} received; service output:\n${output.slice(-3000)}`);
    });
    await killed;
    const beforeRestart = sink.messages.length;
    expect(beforeRestart).toBeGreaterThan(50);
    expect(beforeRestart).toBeLessThan(SUBSCRIBERS);
    sink.accepting();

    service = start(port);
    await sink.waitFor(SUBSCRIBERS, 120_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const recipients = sink.messages.map((mail) => mail.envelope.to[0]);
    expect(new Set(recipients).size).toBe(SUBSCRIBERS);
    expect(recipients).toHaveLength(SUBSCRIBERS);

    const view = await waitFor(async () => {
      const response = await fetch(`${base}/api/articles/crash-story`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const body = (await response.json()) as { deliveries: { newsletter: { sent: number; total: number } } };
      return body.deliveries.newsletter.sent === SUBSCRIBERS ? body : false;
    }, 10_000);
    expect(view.deliveries.newsletter).toMatchObject({ total: SUBSCRIBERS, sent: SUBSCRIBERS, pending: 0, failed: 0 });
    service.kill('SIGTERM');
    await new Promise((resolve) => service!.once('exit', resolve));
    service = undefined;
  });
});
