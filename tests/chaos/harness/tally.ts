/**
 * What the chaos suite counts, per channel: expected, delivered, duplicated, lost, from what
 * the platforms and the SMTP server actually received (not from what the service says). An
 * email sent again after a kill in its ambiguous window (accepted by the server, not yet
 * recorded by the service) is counted apart, and only when the service reported that re-send
 * and both copies carry the same Message-ID; any other second copy is a duplicate.
 */
import { expect } from 'vitest';
import type { AcceptedMail } from './mail-server.js';
import type { ChaosService } from './service.js';
import { waitFor } from '../../helpers/wait.js';

export interface ChaosArticle {
  id: string;
  url: string;
  title: string;
  summary: string;
}

export interface ChannelTally {
  channel: string;
  expected: number;
  delivered: number;
  duplicated: number;
  lost: number;
  /** Emails only: second copies the service reported as ambiguous re-sends, same Message-ID. */
  ambiguous?: number;
}

/** `count` articles named `<scenario>-<n>` (no dots: the Message-ID is `<article>.<subscriber>@…`). */
export function chaosArticles(scenario: string, count: number, from = 0): ChaosArticle[] {
  return Array.from({ length: count }, (_, i) => {
    const id = `${scenario}-${from + i + 1}`;
    return { id, url: `https://news.test/${id}`, title: `Story ${from + i + 1} of ${scenario}`, summary: `What happened in ${id}.` };
  });
}

/** Emails per (article, recipient), from what the SMTP server accepted. */
export function tallyEmails(
  accepted: readonly AcceptedMail[],
  articles: readonly ChaosArticle[],
  emails: readonly string[],
  ambiguousResends: ReadonlySet<string>,
  options: { killed: boolean },
): ChannelTally {
  const copies = new Map<string, string[]>();
  for (const mail of accepted) {
    const local = /^<([^@]*)@/.exec(mail.messageId)?.[1] ?? '';
    const articleId = local.slice(0, local.indexOf('.'));
    const key = `${articleId} ${mail.to}`;
    copies.set(key, [...(copies.get(key) ?? []), mail.messageId]);
  }
  const tally: ChannelTally = {
    channel: 'newsletter',
    expected: articles.length * emails.length,
    delivered: 0,
    duplicated: 0,
    lost: 0,
    ambiguous: 0,
  };
  const expectedKeys = new Set<string>();
  for (const article of articles) {
    for (const email of emails) {
      const key = `${article.id} ${email}`;
      expectedKeys.add(key);
      const ids = copies.get(key) ?? [];
      if (ids.length === 0) {
        tally.lost += 1;
        continue;
      }
      tally.delivered += 1;
      const extra = ids.length - 1;
      if (extra === 0) continue;
      const sameId = ids.every((id) => id === ids[0]);
      const reported = ambiguousResends.has(/^<([^@]*)@/.exec(ids[0]!)?.[1] ?? '');
      // Without a kill nobody died between the server's 250 and the record: a second copy is a duplicate.
      if (sameId && reported && options.killed) tally.ambiguous! += extra;
      else tally.duplicated += extra;
    }
  }
  // Mail nobody should have had (another article, another address) is a duplicate too.
  for (const [key, ids] of copies) if (!expectedKeys.has(key)) tally.duplicated += ids.length;
  return tally;
}

/** Posts per article on a platform, from the texts it stored; `refusedAsDuplicate` adds ledger rows the platform refused. */
export function tallyPosts(
  channel: string,
  texts: readonly string[],
  articles: readonly ChaosArticle[],
  refusedAsDuplicate = 0,
): ChannelTally {
  const tally: ChannelTally = { channel, expected: articles.length, delivered: 0, duplicated: refusedAsDuplicate, lost: 0 };
  for (const article of articles) {
    const posts = texts.filter((text) => text.includes(article.url)).length;
    if (posts === 0) tally.lost += 1;
    else tally.delivered += 1;
    tally.duplicated += Math.max(0, posts - 1);
  }
  return tally;
}

/** The articles in the service's JSON Feed. */
export async function tallyFeed(service: ChaosService, articles: readonly ChaosArticle[]): Promise<ChannelTally> {
  const response = await fetch(`${service.base}/feed.json`);
  const feed = (await response.json()) as { items: Array<{ url?: string }> };
  return tallyPosts(
    'feeds',
    feed.items.map((item) => item.url ?? ''),
    articles,
  );
}

export type Deliveries = Record<string, { state?: string; total?: number; sent?: number; pending?: number }>;

const FINISHED = new Set(['sent', 'duplicate', 'skipped', 'failed', 'cancelled']);

/**
 * Waits until the API shows every article finished on every channel (for the newsletter: its
 * `subscribers` rows, none pending), then a little longer so that late repeats are counted too.
 * @returns the seconds it took, and the final deliveries per article.
 */
export async function settle(
  service: ChaosService,
  articles: readonly ChaosArticle[],
  channels: readonly string[],
  subscribers: number,
  timeoutMs: number,
): Promise<{ seconds: number; deliveries: Record<string, Deliveries> }> {
  const started = Date.now();
  const latest: Record<string, Deliveries> = {};
  const done = (deliveries: Deliveries | undefined) =>
    deliveries !== undefined &&
    channels.every((channel) =>
      channel === 'newsletter'
        ? deliveries.newsletter?.total === subscribers && deliveries.newsletter.pending === 0
        : FINISHED.has(deliveries[channel]?.state ?? ''),
    );
  await waitFor(
    async () => {
      for (const article of articles) {
        if (done(latest[article.id])) continue;
        const answer = await service.api('GET', `/api/articles/${article.id}`, undefined, 5_000);
        if (answer.status !== 200) return false;
        latest[article.id] = answer.body.deliveries as Deliveries;
        if (!done(latest[article.id])) return false;
      }
      return true;
    },
    timeoutMs,
    'every delivery',
  ).catch((error: Error) => {
    throw new Error(`${error.message}\nnow: ${JSON.stringify(latest)}\nlog tail:\n${service.output().slice(-4000)}`);
  });
  const seconds = (Date.now() - started) / 1000;
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  return { seconds, deliveries: latest };
}

/** Ledger rows of `channel` the platform refused as a duplicate: a second post that reached it. */
export function refusedAsDuplicate(deliveries: Record<string, Deliveries>, channel: string): number {
  return Object.values(deliveries).filter((rows) => rows[channel]?.state === 'duplicate').length;
}

/** Ledger rows of `channel` that did not end `sent` (a platform's "duplicate" refusal included). */
export function unsent(deliveries: Record<string, Deliveries>, channel: string): string[] {
  return Object.entries(deliveries).flatMap(([id, rows]) => {
    const row = rows[channel];
    if (channel === 'newsletter') return row?.sent === row?.total ? [] : [`${id}: ${JSON.stringify(row)}`];
    return row?.state === 'sent' ? [] : [`${id}: ${row?.state ?? 'none'}`];
  });
}

/** POSTs every article at once; their HTTP statuses, in order. */
export async function publishAll(service: ChaosService, articles: readonly ChaosArticle[], timeoutMs?: number): Promise<number[]> {
  const answers = await Promise.all(articles.map((article) => service.api('POST', '/api/articles', article, timeoutMs)));
  return answers.map((answer) => answer.status);
}

/** What every scenario must end with: each channel delivered each article once, and no ledger row left unsent. */
export function expectEachOnce(
  tallies: readonly ChannelTally[],
  deliveries: Record<string, Deliveries>,
  channels: readonly string[],
): void {
  for (const tally of tallies) {
    expect({ channel: tally.channel, duplicated: tally.duplicated, lost: tally.lost }).toEqual({
      channel: tally.channel,
      duplicated: 0,
      lost: 0,
    });
  }
  for (const channel of channels) expect(unsent(deliveries, channel)).toEqual([]);
}

/** Prints the scenario's counts as a Markdown table (the README's chaos table is made of these). */
export function printTally(scenario: string, note: string, tallies: readonly ChannelTally[]): void {
  const rows = tallies.map(
    (t) => `| ${t.channel} | ${t.expected} | ${t.delivered} | ${t.duplicated} | ${t.lost} | ${t.ambiguous ?? '–'} |`,
  );
  console.log(
    [
      `CHAOS ${scenario}: ${note}`,
      '| channel | expected | delivered | duplicated | lost | ambiguous re-sends (same Message-ID) |',
      '| --- | --- | --- | --- | --- | --- |',
      ...rows,
    ].join('\n'),
  );
}
