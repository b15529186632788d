/**
 * The deliverability side of the newsletter, wired from the channel core (build.ts calls it):
 * the report intake with its spam-rate guard, erasure, and the `/webhooks/*` routes (whose
 * parsers load with the API only).
 */
import type { FastifyInstance } from 'fastify';
import type { Queue } from 'bullmq';
import type { ChannelCore } from '../../module.js';
import type { SubscriberStore } from '../../../store/subscribers.js';
import { DIGEST_CHANNEL } from '../digest.js';
import { createAddressHasher, Erasure } from '../erasure.js';
import { NEWSLETTER_CHANNEL } from '../name.js';
import type { RecipientTokens } from '../tokens.js';
import { createHttpsFetcher } from './fetch-text.js';
import { ReportIntake } from './intake.js';
import { MAILGUN_MAX_AGE_S } from './mailgun.js';
import { ReplayGuard } from './replay-guard.js';
import { SpamGuard } from './spam-guard.js';

export interface Deliverability {
  intake: ReportIntake;
  spamGuard: SpamGuard;
  erasure: Erasure;
  /** The keyed hash of erased addresses, for the import. */
  hashAddress: (email: string) => string;
  /** Registers `POST /webhooks/{mailgun,postmark,ses,mail}` on the API. */
  routes(app: FastifyInstance): Promise<void>;
}

export function buildDeliverability(
  core: ChannelCore,
  parts: { subscribers: SubscriberStore; tokens: RecipientTokens; messageDomain: string; queue: () => Queue },
): Deliverability {
  const { config, logger } = core;
  const hashAddress = createAddressHasher(config.secretKey);
  const spamGuard = new SpamGuard({
    queue: parts.queue,
    health: core.health,
    deliveries: core.deliveries,
    subscribers: parts.subscribers,
    logger,
    redis: core.redis,
    keyPrefix: config.queuePrefix,
    channel: NEWSLETTER_CHANNEL,
  });
  const intake = new ReportIntake({
    subscribers: parts.subscribers,
    deliveries: core.deliveries,
    tokens: parts.tokens,
    spamGuard,
    messageDomain: parts.messageDomain,
    channels: { article: NEWSLETTER_CHANNEL, digest: DIGEST_CHANNEL },
    logger,
  });
  const erasure = new Erasure({ subscribers: parts.subscribers, hashAddress, outboxDir: core.outboxDir, logger });

  return {
    intake,
    spamGuard,
    erasure,
    hashAddress,
    async routes(app) {
      const [{ reportRoutes }, { SnsVerifier }] = await Promise.all([import('./routes.js'), import('./sns.js')]);
      const reports = config.reports;
      const fetchText = createHttpsFetcher();
      await app.register(reportRoutes, {
        intake,
        mailgunSigningKey: reports.mailgunSigningKey ?? null,
        // Remembered for twice the freshness window: a token is refused for as long as its signature could pass.
        replays: new ReplayGuard(core.redis, `${config.queuePrefix}:webhooks:mailgun`, 2 * MAILGUN_MAX_AGE_S),
        postmarkAuth: reports.postmarkAuth ?? null,
        sns:
          reports.sesTopicArns.length > 0
            ? new SnsVerifier({ topicArns: reports.sesTopicArns, trustAnchor: reports.sesSigningCertCa ?? null, fetchText })
            : null,
        inboundToken: reports.inboundToken ?? null,
        logger,
      });
    },
  };
}
