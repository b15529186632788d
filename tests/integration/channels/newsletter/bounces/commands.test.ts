/**
 * `syndicate subscribers show|forget` and `syndicate newsletter status|resume`, run in-process
 * against a Syndicate's newsletter (tests/e2e/deliverability.test.ts runs the binary).
 * Real: Redis, SQLite, BullMQ, the commands' parsing and output.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNewsletterCommand } from '../../../../../src/channels/newsletter/bounces/newsletter-command.js';
import { runSubscribersCommand } from '../../../../../src/channels/newsletter/cli.js';
import { confirmed, services, startDesk, type Desk } from './report-kit.js';

describe('the deliverability commands', () => {
  let desk: Desk;

  beforeAll(async () => {
    desk = await startDesk('commands');
  });
  afterAll(async () => {
    await desk?.stop();
  });

  async function subscribers(...args: string[]) {
    const output = new PassThrough();
    const chunks: Buffer[] = [];
    output.on('data', (chunk: Buffer) => chunks.push(chunk));
    const stderr: string[] = [];
    const code = await runSubscribersCommand(args, {
      open: async () => services(desk.t),
      output,
      stderr: (line) => stderr.push(line),
      terminal: null,
    });
    return { code, stdout: Buffer.concat(chunks).toString('utf8'), stderr: stderr.join('\n') };
  }

  async function newsletter(...args: string[]) {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = await runNewsletterCommand(args, {
      open: async () => services(desk.t).spamGuard,
      stdout: (line) => stdout.push(line),
      stderr: (line) => stderr.push(line),
    });
    return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
  }

  it('shows a subscriber: state, consent record with its evidence, deliveries; as JSON too', async () => {
    const subscriber = await confirmed(desk.t, 'shown@example.org');
    const bouncedAt = new Date(Date.now() + 1000);
    await services(desk.t).subscribers.markBounced(subscriber.id, 'dsn:failed: 5.1.1', bouncedAt, {
      source: 'dsn',
      evidence: { reportType: 'dsn:failed', status: '5.1.1', eventId: 'report-1@mail.news.test' },
    });

    const text = await subscribers('show', 'Shown@Example.org');
    const json = await subscribers('show', 'shown@example.org', '--json');

    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^shown@example\.org\n {2}id {12}[0-9a-f-]{36}\n {2}state {9}bounced\n/);
    expect(text.stdout).toContain(`bounced       ${bouncedAt.toISOString()} (dsn:failed: 5.1.1)`);
    expect(text.stdout).toMatch(/requested\s+form/);
    expect(text.stdout).toMatch(
      new RegExp(`${bouncedAt.toISOString()}\\s+bounced\\s+dsn\\s+report dsn:failed, event report-1@mail\\.news\\.test, status 5\\.1\\.1`),
    );
    expect(JSON.parse(json.stdout)).toMatchObject({
      subscriber: { email: 'shown@example.org', state: 'bounced' },
      events: [{ kind: 'requested' }, { kind: 'confirmed' }, { kind: 'bounced', source: 'dsn', evidence: { status: '5.1.1' } }],
      deliveries: [],
    });
  });

  it('forgets an address, says what it kept, and answers 1 to show afterwards', async () => {
    await confirmed(desk.t, 'forget-me@example.org');

    const forgotten = await subscribers('forget', 'forget-me@example.org');

    expect(forgotten).toMatchObject({ code: 0 });
    expect(forgotten.stderr).toMatch(/^erased forget-me@example\.org: subscriber and consent record deleted, 0 ledger rows kept/);
    expect((await subscribers('show', 'forget-me@example.org')).code).toBe(1);
    expect((await subscribers('forget', 'forget-me@example.org')).stderr).toMatch(
      /^no subscriber had forget-me@example\.org; its hash is kept/,
    );
  });

  it('answers 2 to a show or forget without one valid address', async () => {
    for (const args of [
      ['show'],
      ['forget'],
      ['show', 'a@example.org', 'b@example.org'],
      ['forget', 'not-an-address'],
      ['forget', 'a@example.org', '--json'],
    ]) {
      expect((await subscribers(...args)).code, args.join(' ')).toBe(2);
    }
  });

  it('reports and resumes a paused newsletter', async () => {
    expect(await newsletter('status')).toMatchObject({ code: 0, stdout: 'newsletter: running' });
    await services(desk.t).spamGuard.pause('spam complaints about article "x": 2 of 100 recipients (2.00 %) is over 0.3 %');

    expect((await newsletter('status')).stdout).toMatch(/^newsletter: paused since \S+: spam complaints about article "x"/);
    expect((await newsletter('resume')).stdout).toMatch(/^newsletter resumed \(it was paused: spam complaints/);
    expect((await newsletter('resume')).stdout).toBe('newsletter was not paused; nothing to resume');
    expect((await newsletter('frobnicate')).code).toBe(2);
    expect((await newsletter()).code).toBe(2);
  });
});
