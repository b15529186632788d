/**
 * The newsletter's wiring (STYLE "Ghost": the whole of email in one folder): renderer → letters
 * → mailer → plan and batches → subscriptions and their public pages. Live over SMTP_URL, .eml
 * files in the outbox, or off. Loaded by module.ts only when a process builds the channel.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../../config/load.js';
import { PENDING_TTL_MS } from '../../domain/subscriber.js';
import { SubscriberStore } from '../../store/subscribers.js';
import { modeOf, type BuiltChannel, type ChannelCore, type ChannelPreview } from '../module.js';
import { mailRatePlan } from './batch.js';
import { scheduleDigests } from './digest.js';
import { createLetters } from './letters.js';
import { NEWSLETTER_CHANNEL } from './name.js';
import { createNewsletterQueue, enqueueConfirmation } from './queue.js';
import { renderArticleEmail, type EmailSite } from './render.js';
import { createMailer, messageIdDomain, type Mailer } from './send.js';
import { SubscriberImporter } from './subscriber-import.js';
import { SubscriptionService } from './subscriptions.js';
import { createTokenSigner } from './tokens.js';

/** What the `subscribers` commands and the newsletter's tests reach. */
export interface NewsletterServices {
  subscribers: SubscriberStore;
  /** Bulk import (the `subscribers import` command). */
  importer: SubscriberImporter;
  subscriptions: SubscriptionService;
  /** Undefined when the channel is off. */
  mailer: Mailer | undefined;
}

/** Email branding from Config (SITE_*, MAIL_POSTAL_ADDRESS). */
export function emailSiteOf(config: Config): EmailSite {
  return {
    title: config.site.title,
    url: config.site.url,
    publicBaseUrl: config.publicBaseUrl,
    postalAddress: config.mail.postalAddress ?? null,
    language: config.site.language ?? 'en',
  };
}

/** The email as subscribers would get it, for previews. */
export function previewNewsletter(config: Config): ChannelPreview {
  const site = emailSiteOf(config);
  // Each subscriber's own signed link goes where this stands.
  const unsubscribeUrl = `${config.publicBaseUrl}/unsubscribe/SUBSCRIBER-TOKEN`;
  return { key: 'email', render: (article) => renderArticleEmail(article, site, { unsubscribeUrl }) };
}

export async function buildNewsletter(core: ChannelCore): Promise<BuiltChannel<NewsletterServices>> {
  const { config } = core;
  const mode = modeOf(config, NEWSLETTER_CHANNEL, config.mail.smtpUrl !== undefined);
  const subscribers = new SubscriberStore(core.database);
  const site = emailSiteOf(config);
  const from = config.mail.from ?? `newsletter@${new URL(config.publicBaseUrl).hostname}`;
  const mailer =
    mode === 'off'
      ? undefined
      : createMailer({
          ...(config.mail.smtpUrl ? { smtpUrl: config.mail.smtpUrl } : {}),
          from,
          replyTo: config.mail.replyTo ?? null,
          dkim: config.mail.dkim ?? null,
          outboxDir: core.outboxDir,
        });
  const tokens = createTokenSigner(config.secretKey);
  const messageDomain = messageIdDomain({ from, publicBaseUrl: config.publicBaseUrl });
  const letters = createLetters({
    site,
    tokens,
    messageDomain,
    listId: `<newsletter.${messageDomain}>`,
    unsubscribeMailto: config.mail.unsubscribeMailto ?? null,
    confirmTtlMs: PENDING_TTL_MS,
  });
  const queue = () => core.queue(NEWSLETTER_CHANNEL);
  const subscriptions = new SubscriptionService({
    subscribers,
    deliveries: core.deliveries,
    articles: core.articles,
    tokens,
    enqueueConfirmation: mailer ? (subscriber) => enqueueConfirmation(subscriber, queue()) : null,
    recordIp: config.subscribe.recordIp,
  });
  const ratePlan = mailRatePlan(config.mail.rate);

  return {
    mode,
    ...(mailer
      ? {
          queue: createNewsletterQueue({
            articles: core.articles,
            deliveries: core.deliveries,
            subscribers,
            mailer,
            letters,
            leaseMs: config.mail.leaseMs,
            batchSize: ratePlan.batchSize,
            ...(ratePlan.limiter ? { limiter: ratePlan.limiter } : {}),
            logger: core.logger,
            events: core.events,
            queue,
            timeZone: config.digest.timeZone,
          }),
        }
      : {}),
    // Sign-up pages only where the newsletter is on; loaded with the API only.
    ...(config.channels.includes(NEWSLETTER_CHANNEL) ? { routes: subscriptionPages } : {}),
    startWorker: () => scheduleDigests(queue(), config.digest),
    async close() {
      mailer?.close();
    },
    services: { subscribers, importer: new SubscriberImporter(core.database), subscriptions, mailer },
  };

  async function subscriptionPages(app: FastifyInstance) {
    const { subscriptionRoutes } = await import('./routes.js');
    await app.register(subscriptionRoutes, {
      handlers: subscriptions,
      site: { title: site.title, url: site.url, language: site.language },
      rateLimit: { max: config.subscribe.ratePerMinute, timeWindowMs: 60_000, redis: core.redis, keyPrefix: config.queuePrefix },
    });
  }
}
