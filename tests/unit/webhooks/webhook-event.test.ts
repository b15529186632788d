import { describe, expect, it } from 'vitest';
import type { ArticleRecord } from '../../../src/domain/article.js';
import type { Delivery } from '../../../src/domain/delivery.js';
import { DEFAULT_TOLERANCE_SECONDS, signWebhook, verifyWebhookSignature } from '../../../src/webhooks/signature.js';
import { toWebhookEvent, webhookTypeOf } from '../../../src/webhooks/webhook-event.js';
import { WEBHOOK_JOB_OPTIONS, webhookRetrySpanMs } from '../../../src/webhooks/webhook-queue.js';

const NOW = new Date('2026-03-02T09:00:00Z');
const key = { articleId: 'harbour', channel: 'x', target: '' };
const article = {
  id: 'harbour',
  url: 'https://news.example/harbour',
  title: 'Harbour',
  state: 'published',
  publishedAt: NOW,
} as ArticleRecord;
const delivery = (attempts: number) => ({ ...key, state: 'failed', attempts }) as Delivery;

describe('webhook events', () => {
  it('sends the six SPEC types and nothing for a subscriber row or a state on the way', () => {
    expect(webhookTypeOf({ type: 'article.published', articleId: 'harbour' })).toBe('article.published');
    expect(webhookTypeOf({ type: 'delivery.completed', key, state: 'sent' })).toBe('delivery.sent');
    expect(webhookTypeOf({ type: 'delivery.completed', key, state: 'skipped', error: 'no image' })).toBe('delivery.failed');
    expect(webhookTypeOf({ type: 'delivery.completed', key, state: 'manual_action' })).toBe('delivery.manual_action');
    expect(webhookTypeOf({ type: 'delivery.completed', key, state: 'retry', error: '503' })).toBeNull();
    expect(
      webhookTypeOf({ type: 'delivery.completed', key: { ...key, channel: 'newsletter', target: 'sub-1' }, state: 'sent' }),
    ).toBeNull();
    expect(webhookTypeOf({ type: 'delivery.rate_limited', channel: 'x', until: NOW })).toBeNull();
  });

  it('gives the same event the same id, whenever it is made; a second failure after a retry another', () => {
    const event = { type: 'delivery.completed', key, state: 'failed', error: 'refused' } as const;
    const first = toWebhookEvent(event, { article, delivery: delivery(8), now: NOW })!;
    const again = toWebhookEvent(event, { article, delivery: delivery(8), now: new Date(NOW.getTime() + 60_000) })!;
    const afterRetry = toWebhookEvent(event, { article, delivery: delivery(16), now: NOW })!;
    expect(first.id).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(again.id).toBe(first.id);
    expect(afterRetry.id).not.toBe(first.id);
    expect(first).toMatchObject({
      type: 'delivery.failed',
      createdAt: NOW.toISOString(),
      data: {
        articleId: 'harbour',
        channel: 'x',
        state: 'failed',
        error: 'refused',
        attempts: 8,
        article: { url: 'https://news.example/harbour' },
      },
    });
  });

  it('retries for about a day', () => {
    const span = webhookRetrySpanMs(WEBHOOK_JOB_OPTIONS.attempts, WEBHOOK_JOB_OPTIONS.backoff.delay);
    expect(span).toBeGreaterThan(20 * 3600_000);
    expect(span).toBeLessThan(26 * 3600_000);
  });
});

describe('webhook signatures', () => {
  const secret = 'whsec-test-0123456789';
  const body = JSON.stringify({ id: 'evt_1', type: 'article.published' });
  const t = Math.floor(NOW.getTime() / 1000);

  it('verifies what it signed, and only that', () => {
    const header = signWebhook(secret, body, t);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(header, body, secret, { now: NOW })).toEqual({ ok: true });
    expect(verifyWebhookSignature(header, `${body} `, secret, { now: NOW })).toEqual({ ok: false, problem: 'mismatch' });
    expect(verifyWebhookSignature(header, body, 'another-secret-456789', { now: NOW })).toEqual({ ok: false, problem: 'mismatch' });
    expect(verifyWebhookSignature('v1=abc', body, secret, { now: NOW })).toEqual({ ok: false, problem: 'malformed' });
    expect(verifyWebhookSignature(undefined, body, secret, { now: NOW })).toEqual({ ok: false, problem: 'malformed' });
  });

  it('refuses a signature older than the tolerance', () => {
    const old = signWebhook(secret, body, t - DEFAULT_TOLERANCE_SECONDS - 1);
    expect(verifyWebhookSignature(old, body, secret, { now: NOW })).toEqual({ ok: false, problem: 'stale' });
  });
});
