/**
 * Deliverability end to end: a list imported with `syndicate subscribers import`, a newsletter
 * to all of them, reports for some (a Postfix DSN, a Mailgun event, a redacted ARF complaint that
 * pauses the newsletter until `syndicate newsletter resume`, a Postmark soft bounce), and the
 * next article reaches only the others; importing the list again brings nobody suppressed back;
 * `syndicate subscribers forget`, then an import, does not re-add the address.
 * Real: everything — the `syndicate` binary in child processes for the commands, a Syndicate in
 * this process (API and workers) for the newsletter and the webhooks, Redis, SQLite, an SMTP
 * server whose emails the reports quote (tests/fixtures/reports).
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basicAuth,
  fixture,
  MAILGUN_KEY,
  POSTMARK_AUTH,
  postMail,
  publishAndCollect,
  services,
  signedMailgun,
  startDesk,
  type Desk,
  type SentLetter,
} from '../integration/channels/newsletter/bounces/report-kit.js';
import { TEST_REDIS_URL } from '../helpers/redis.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = path.join(root, 'bin', 'syndicate.js');
const run = promisify(execFile);
// Each command is a fresh process (tsx, database, Redis): a few seconds apiece.
const SLOW = 180_000;

const LIST = ['ana', 'ben', 'cleo', 'dan', 'eva'].map((name) => `${name}@example.org`);
const [ANA, BEN, CLEO, DAN, EVA] = LIST as [string, string, string, string, string];

describe('deliverability, end to end', () => {
  let desk: Desk;
  let list: string;

  beforeAll(async () => {
    desk = await startDesk('deliverability-e2e');
    list = path.join(desk.t.dataDir, 'list.csv');
    writeFileSync(list, `email,name\n${LIST.map((email) => `${email},${email.split('@')[0]}`).join('\n')}\n`);
  });
  afterAll(async () => {
    await desk?.stop();
  });

  /** `syndicate <args…>` against the same data directory, database and Redis prefix. */
  async function syndicate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = {
      ...process.env,
      DATA_DIR: desk.t.dataDir,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: desk.t.prefix,
      CHANNELS: 'newsletter',
      MAIL_FROM: 'Test Desk <desk@news.test>',
      PUBLIC_BASE_URL: 'http://news.test',
      LOG_LEVEL: 'silent',
    };
    try {
      const { stdout, stderr } = await run(process.execPath, [bin, ...args], { env, timeout: 60_000 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    }
  }

  const recipientsOf = (letters: Map<string, SentLetter>) => [...letters.keys()].sort();
  const stateOf = async (email: string) => (await services(desk.t).subscribers.getByEmail(email))?.state ?? 'absent';

  it(
    'suppresses the reported subscribers: the next article, and every one after a re-import, reaches only the others',
    async () => {
      const imported = await syndicate('subscribers', 'import', list, '--confirmed');
      expect(imported.code, imported.stderr).toBe(0);
      expect(imported.stderr).toContain('imported 5 rows: 5 created');

      const first = await publishAndCollect(desk, 5);
      expect(recipientsOf(first.letters)).toEqual(LIST);
      const letter = (email: string) => first.letters.get(email)!;

      // Ana's mailbox does not exist (Postfix DSN), Ben's neither (Mailgun), Cleo complains
      // through a feedback loop that removes her address, Dan's mailbox is full (Postmark).
      expect((await postMail(desk.t, await fixture('postfix-dsn-550.eml', letter(ANA)))).json()).toMatchObject({ results: { bounced: 1 } });
      const mailgun = signedMailgun(JSON.parse(await fixture('mailgun-failed-permanent.json', letter(BEN))), { key: MAILGUN_KEY });
      expect((await desk.t.app.inject({ method: 'POST', url: '/webhooks/mailgun', payload: mailgun })).json()).toMatchObject({
        results: { bounced: 1 },
      });
      const complaint = await postMail(desk.t, await fixture('arf-abuse-redacted.eml', letter(CLEO)));
      expect(complaint.json()).toMatchObject({ results: { complained: 1 }, paused: true });
      const postmark = await desk.t.app.inject({
        method: 'POST',
        url: '/webhooks/postmark',
        headers: { authorization: basicAuth(POSTMARK_AUTH.user, POSTMARK_AUTH.pass) },
        payload: JSON.parse(await fixture('postmark-soft-bounce.json', letter(DAN))),
      });
      expect(postmark.json()).toMatchObject({ results: { soft_bounce: 1 } });

      // One complaint in five is far over 0.3 %: the newsletter waits for an operator.
      const status = await syndicate('newsletter', 'status');
      expect(status.stdout).toMatch(/^newsletter: paused since .*: spam complaints about article/);
      const ready = (await desk.t.app.inject({ method: 'GET', url: '/readyz' })).json();
      expect(ready.channelsFailing.newsletter).toMatch(/paused: spam complaints/);
      const resumed = await syndicate('newsletter', 'resume');
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).toMatch(/^newsletter resumed \(it was paused: spam complaints/);

      const second = await publishAndCollect(desk, 2, 'Council approves the new tram line');
      expect(recipientsOf(second.letters)).toEqual([DAN, EVA]);
      expect(await Promise.all(LIST.map(stateOf))).toEqual(['bounced', 'bounced', 'complained', 'confirmed', 'confirmed']);

      const again = await syndicate('subscribers', 'import', list, '--confirmed');
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain('0 created');
      const third = await publishAndCollect(desk, 2, 'Market hall gets a new roof');
      expect(recipientsOf(third.letters)).toEqual([DAN, EVA]);

      const shown = await syndicate('subscribers', 'show', CLEO);
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).toMatch(/state\s+complained/);
      expect(shown.stdout).toMatch(/confirmed\s+import\s+file list\.csv/);
      expect(shown.stdout).toMatch(new RegExp(`complained\\s+arf\\s+report arf:abuse, event cfl-[^,]+, article ${first.articleId}`));
      expect(shown.stdout).toMatch(new RegExp(`newsletter\\s+sent\\s+${first.articleId}`));
    },
    SLOW,
  );

  it(
    'forgets an address: gone with its record, not re-added by an import, welcome again through the form',
    async () => {
      const forgotten = await syndicate('subscribers', 'forget', EVA);
      expect(forgotten.code, forgotten.stderr).toBe(0);
      expect(forgotten.stderr).toMatch(/^erased eva@example\.org: .* ledger rows kept without personal data/);
      expect(await stateOf(EVA)).toBe('absent');
      expect((await syndicate('subscribers', 'show', EVA)).code).toBe(1);

      const reimported = await syndicate('subscribers', 'import', list, '--confirmed');
      expect(reimported.code, reimported.stderr).toBe(0);
      expect(reimported.stderr).toContain('imported 5 rows: 0 created');
      expect(await stateOf(EVA)).toBe('absent');
      const next = await publishAndCollect(desk, 1, 'Ferry timetable changes in April');
      expect(recipientsOf(next.letters)).toEqual([DAN]);

      const signUp = await desk.t.app.inject({ method: 'POST', url: '/subscribe', payload: { email: EVA } });
      expect(signUp.statusCode).toBe(202);
      expect(await stateOf(EVA)).toBe('pending');
    },
    SLOW,
  );
});
