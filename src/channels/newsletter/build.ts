/**
 * The newsletter's wiring (STYLE "Ghost": the whole of email in one folder): renderer → letters
 * → mailer → plan and batches → subscriptions and their public pages. Live over SMTP_URL, .eml
 * files in the outbox, or off. Loaded by module.ts only when a process builds the channel.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../../config/load.js';
import { PENDING_TTL_MS } from '../../domain/subscriber.js';
import { SubscriberStore } from '../../store/subscribers.js';
import { modeOf, type BuiltChannel, type ChannelCore, type ChannelMetric, type ChannelPreview } from '../module.js';
import { mailRatePlan } from './batch.js';
import { scheduleDigests } from './digest.js';
import { createLetters } from './letters.js';
import { NEWSLETTER_CHANNEL } from './name.js';
import { createNewsletterQueue, enqueueConfirmation } from './queue.js';
import { renderArticleEmail, type EmailSite } from './render.js';
import { checkSmtpLogin, createMailer, messageIdDomain, type Mailer } from './send.js';
import { SubscriberImporter } from './subscriber-import.js';
import { SubscriptionService } from './subscriptions.js';
import { createRecipientTokens, createTokenSigner } from './tokens.js';
import { buildDeliverability } from './bounces/wiring.js';
import type { ReportIntake } from './bounces/intake.js';
import type { SpamGuard } from './bounces/spam-guard.js';
import type { Erasure } from './erasure.js';

/** What the `subscribers` commands and the newsletter's tests reach. */
export interface NewsletterServices {
  subscribers: SubscriberStore;
  /** Bulk import (the `subscribers import` command). */
  importer: SubscriberImporter;
  subscriptions: SubscriptionService;
  /** Undefined when the channel is off. */
  mailer: Mailer | undefined;
  /** Applies bounce and complaint reports (what the `/webhooks/*` routes call). */
  reports: ReportIntake;
  /** Pauses the newsletter on spam complaints; `newsletter resume|status`. */
  spamGuard: SpamGuard;
  /** `subscribers forget`. */
  erasure: Erasure;
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
  const recipients = createRecipientTokens(config.secretKey);
  const letters = createLetters({
    site,
    tokens,
    messageDomain,
    listId: `<newsletter.${messageDomain}>`,
    unsubscribeMailto: config.mail.unsubscribeMailto ?? null,
    confirmTtlMs: PENDING_TTL_MS,
    recipients,
    bounceDomain: config.mail.bounceDomain ?? messageDomain,
  });
  const queue = () => core.queue(NEWSLETTER_CHANNEL);
  const deliverability = buildDeliverability(core, { subscribers, tokens: recipients, messageDomain, queue });
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
            scheduleDigests: (digestQueue) => scheduleDigests(digestQueue, config.digest),
          }),
        }
      : {}),
    // Sign-up pages only where the newsletter is on; loaded with the API only.
    ...(config.channels.includes(NEWSLETTER_CHANNEL) ? { routes: subscriptionPages, metrics: [subscriberGauge(subscribers)] } : {}),
    startWorker: () => scheduleDigests(queue(), config.digest),
    // The SMTP login, when mail goes over SMTP (the outbox has no credentials to check).
    ...(mailer?.mode === 'smtp' && config.mail.smtpUrl ? { check: () => checkSmtpLogin(mailer, config.mail.smtpUrl!) } : {}),
    async close() {
      mailer?.close();
    },
    services: {
      subscribers,
      importer: new SubscriberImporter(core.database, { hashAddress: deliverability.hashAddress }),
      subscriptions,
      mailer,
      reports: deliverability.intake,
      spamGuard: deliverability.spamGuard,
      erasure: deliverability.erasure,
    },
  };

  async function subscriptionPages(app: FastifyInstance) {
    const { subscriptionRoutes } = await import('./routes.js');
    await app.register(subscriptionRoutes, {
      handlers: subscriptions,
      site: { title: site.title, url: site.url, language: site.language },
      rateLimit: { max: config.subscribe.ratePerMinute, timeWindowMs: 60_000, redis: core.redis, keyPrefix: config.queuePrefix },
    });
    // Bounce and complaint reports (SPEC §3 `/webhooks/*`).
    await deliverability.routes(app);
  }
}

/** `syndicate_subscribers{state}`: one count per state, read from the database at each scrape. */
function subscriberGauge(subscribers: SubscriberStore): ChannelMetric {
  return {
    name: 'syndicate_subscribers',
    help: 'Newsletter subscribers by state (pending, confirmed, unsubscribed, bounced, complained)',
    type: 'gauge',
    labelNames: ['state'],
    read: async () => Object.entries(await subscribers.countByState()).map(([state, value]) => ({ labels: { state }, value })),
  };
}
