/**
 * Subscriptions: what the public routes /subscribe, /confirm/:token and /unsubscribe/:token
 * do. Double opt-in: a request makes a pending subscriber and queues a confirmation email;
 * only a POST to the signed link in that email confirms (its GET shows a button). An unsubscribe cancels the subscriber's
 * queued emails at once, also in batches already queued.
 */
import { isPendingExpired, parseSubscription, type Subscriber } from '../../domain/subscriber.js';
import { AppError } from '../../errors.js';
import type { TokenPurpose, TokenSigner } from './tokens.js';
import type { ArticleStore } from '../../store/articles.js';
import type { DeliveryStore } from '../../store/deliveries.js';
import type { SubscriberStore } from '../../store/subscribers.js';
import { NEWSLETTER_CHANNEL } from './name.js';
import { DIGEST_CHANNEL } from './digest.js';

export interface SubscriptionServiceDeps {
  subscribers: SubscriberStore;
  deliveries: DeliveryStore;
  articles: ArticleStore;
  tokens: TokenSigner;
  /** Queues the confirmation email; null when the newsletter channel is off. */
  enqueueConfirmation: ((subscriber: Subscriber) => Promise<void>) | null;
  /** Keep the requester's IP address in the consent record (SUBSCRIBE_RECORD_IP). */
  recordIp: boolean;
  now?: () => Date;
}

/** Categories offered on the form: those of the newest published articles. */
const CATEGORY_SOURCE_ARTICLES = 500;
/** At most this many categories on the form (the newest first), so the page stays a form. */
const MAX_FORM_CATEGORIES = 200;
/** How long the form's categories are kept: GET /subscribe is public and may be hit hard. */
export const CATEGORIES_CACHE_MS = 60_000;

export class SubscriptionService {
  private readonly now: () => Date;
  /** The form's categories and when they were read; one entry, so bounded. */
  private categoryCache: { at: number; value: Promise<{ slug: string; name: string }[]> } | null = null;

  constructor(private readonly deps: SubscriptionServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Categories offered on the form, by name; read at most once per {@link CATEGORIES_CACHE_MS}. */
  async categories(): Promise<{ slug: string; name: string }[]> {
    const now = this.now().getTime();
    const cached = this.categoryCache;
    if (cached && now - cached.at >= 0 && now - cached.at < CATEGORIES_CACHE_MS) return cached.value;
    // Concurrent requests share one read; a failed read is not kept.
    const value = this.readCategories();
    this.categoryCache = { at: now, value };
    value.catch(() => {
      if (this.categoryCache?.value === value) this.categoryCache = null;
    });
    return value;
  }

  private async readCategories(): Promise<{ slug: string; name: string }[]> {
    const categories = await this.deps.articles.listRecentCategories(CATEGORY_SOURCE_ARTICLES);
    return categories
      .slice(0, MAX_FORM_CATEGORIES)
      .map(({ slug, name }) => ({ slug, name }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The same outcome for every valid address, known or not: nothing to enumerate. */
  async subscribe(input: unknown, meta: { ip: string }): Promise<void> {
    const parsed = parseSubscription(input);
    if (!parsed.ok) throw new AppError('SUBSCRIPTION_INVALID', 'the subscription request is not valid', parsed.problems);
    const { subscriber, sendConfirmation } = await this.deps.subscribers.subscribe(parsed.value, {
      now: this.now(),
      ip: this.deps.recordIp ? meta.ip : null,
    });
    if (sendConfirmation) await this.sendConfirmation(subscriber);
  }

  /** Queues the confirmation email (also for CSV imports without --confirmed). */
  async sendConfirmation(subscriber: Subscriber): Promise<void> {
    await this.deps.enqueueConfirmation?.(subscriber);
  }

  async confirm(token: string): Promise<'confirmed' | 'already'> {
    const subscriberId = await this.verify(token, 'confirm');
    const result = await this.deps.subscribers.confirm(subscriberId, this.now());
    if (result === 'confirmed' || result === 'already') return result;
    if (result === 'missing') throw new AppError('SUBSCRIPTION_TOKEN_INVALID', 'this link is not valid');
    // Expired, or unsubscribed/bounced since: an old link must not sign anyone up again.
    throw new AppError('TOKEN_EXPIRED', 'this confirmation link has expired; please subscribe again');
  }

  /** What the confirmation page shows; confirms nothing. Throws like {@link confirm}. */
  async confirmTarget(token: string): Promise<{ email: string; status: 'pending' | 'confirmed' }> {
    const subscriberId = await this.verify(token, 'confirm');
    const subscriber = await this.deps.subscribers.get(subscriberId);
    if (!subscriber) throw new AppError('SUBSCRIPTION_TOKEN_INVALID', 'this link is not valid');
    if (subscriber.state === 'confirmed') return { email: subscriber.email, status: 'confirmed' };
    // Expired, or unsubscribed/bounced since: the button would not work, so say so now.
    if (subscriber.state !== 'pending' || isPendingExpired(subscriber, this.now())) {
      throw new AppError('TOKEN_EXPIRED', 'this confirmation link has expired; please subscribe again');
    }
    return { email: subscriber.email, status: 'pending' };
  }

  async unsubscribeTarget(token: string): Promise<{ email: string }> {
    const subscriberId = await this.verify(token, 'unsubscribe');
    const subscriber = await this.deps.subscribers.get(subscriberId);
    if (!subscriber) throw new AppError('SUBSCRIPTION_TOKEN_INVALID', 'this link is not valid');
    return { email: subscriber.email };
  }

  async unsubscribe(token: string): Promise<void> {
    const subscriberId = await this.verify(token, 'unsubscribe');
    const now = this.now();
    await this.deps.subscribers.unsubscribe(subscriberId, now);
    await this.deps.deliveries.cancelPendingForTarget(NEWSLETTER_CHANNEL, subscriberId, now);
    await this.deps.deliveries.cancelPendingForTarget(DIGEST_CHANNEL, subscriberId, now);
  }

  private async verify(token: string, purpose: TokenPurpose): Promise<string> {
    const result = await this.deps.tokens.verify(
      token,
      purpose,
      async (id) => (await this.deps.subscribers.get(id))?.email ?? null,
      this.now(),
    );
    if (result.ok) return result.subscriberId;
    if (result.reason === 'expired') throw new AppError('TOKEN_EXPIRED', 'this link has expired');
    throw new AppError('SUBSCRIPTION_TOKEN_INVALID', 'this link is not valid');
  }
}
