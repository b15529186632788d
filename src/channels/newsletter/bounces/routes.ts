/**
 * The inbound report routes (SPEC §3), registered with the newsletter's public routes:
 *
 *   POST /webhooks/mailgun   JSON; HMAC-SHA256 signature in the body (MAILGUN_WEBHOOK_SIGNING_KEY),
 *                            fresh (±5 min) and never seen before
 *   POST /webhooks/postmark  JSON; basic auth (POSTMARK_WEBHOOK_AUTH), checked before the body is read
 *   POST /webhooks/ses       SNS messages (sent as text/plain); signature, certificate and topic checked
 *   POST /webhooks/mail      a raw message/rfc822 (a DSN or an ARF report); Bearer INBOUND_TOKEN,
 *                            checked before the body is read
 *
 * Unverified → 401 and nothing changes. Every body is bounded. A verified request that holds
 * nothing to act on (a delivery event, a DSN of a success) answers 200: a provider or an MTA
 * pipe must not retry it, nor bounce it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { AppError } from '../../../errors.js';
import type { ReportIntake, ReportOutcome } from './intake.js';
import { readMailReport } from './mail-report.js';
import { mailgunReports, verifyMailgunSignature } from './mailgun.js';
import { checkBasicAuth, postmarkReports, type BasicCredentials } from './postmark.js';
import type { ReplayGuard } from './replay-guard.js';
import { sesReports, type SnsVerifier } from './sns.js';

export interface ReportRoutesOptions {
  intake: Pick<ReportIntake, 'applyAll'>;
  /** MAILGUN_WEBHOOK_SIGNING_KEY; null: every Mailgun request is refused. */
  mailgunSigningKey: string | null;
  /** Refuses a Mailgun token seen before. */
  replays: Pick<ReplayGuard, 'claim' | 'release'>;
  /** POSTMARK_WEBHOOK_AUTH; null: every Postmark request is refused. */
  postmarkAuth: BasicCredentials | null;
  /** Null without SES_TOPIC_ARNS: every SES request is refused. */
  sns: Pick<SnsVerifier, 'verify' | 'confirmSubscription'> | null;
  /** INBOUND_TOKEN; null: every raw report is refused. */
  inboundToken: string | null;
  logger: Logger;
  now?: () => Date;
  /**
   * Largest JSON body (Mailgun, Postmark with its bounce dump, SES) in bytes.
   * @defaultValue 1048576
   */
  jsonBodyLimit?: number;
  /**
   * Largest raw report in bytes (the MTA pipe may pass just the start: the report parts come first).
   * @defaultValue 1048576
   */
  mailBodyLimit?: number;
}

export const DEFAULT_JSON_BODY_LIMIT = 1024 * 1024;
export const DEFAULT_MAIL_BODY_LIMIT = 1024 * 1024;

/** What every verified request answers: how many reports it held and what they did. */
function summary(outcomes: ReportOutcome[], extra: Record<string, unknown> = {}) {
  const results: Record<string, number> = {};
  for (const outcome of outcomes) results[outcome.result] = (results[outcome.result] ?? 0) + 1;
  return { status: 'processed', ...extra, reports: outcomes.length, results, paused: outcomes.some((outcome) => outcome.paused) };
}

/** Equal strings in constant time (digests first, so the lengths do not leak). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export const reportRoutes: FastifyPluginAsync<ReportRoutesOptions> = async (app, options) => {
  const now = options.now ?? (() => new Date());
  const jsonLimit = options.jsonBodyLimit ?? DEFAULT_JSON_BODY_LIMIT;
  const mailLimit = options.mailBodyLimit ?? DEFAULT_MAIL_BODY_LIMIT;

  const refuse = (request: FastifyRequest, route: string, reason: string): AppError => {
    options.logger.warn({ route, ip: request.ip, reason }, 'unverified report refused');
    return new AppError('WEBHOOK_UNVERIFIED', reason);
  };

  app.addHook('onRequest', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });

  await app.register(async (json: FastifyInstance) => {
    // JSON only (Fastify's parser, bounded): anything else is 415 before a handler runs.
    json.removeContentTypeParser('text/plain');

    json.post('/webhooks/mailgun', { bodyLimit: jsonLimit }, async (request, reply) => {
      if (!options.mailgunSigningKey)
        throw refuse(request, 'mailgun', 'MAILGUN_WEBHOOK_SIGNING_KEY is not set: no Mailgun event can be verified');
      const verdict = verifyMailgunSignature(request.body, options.mailgunSigningKey, now());
      if (!verdict.ok) throw refuse(request, 'mailgun', verdict.reason);
      if (!(await options.replays.claim(verdict.token))) throw refuse(request, 'mailgun', 'this signature was used before (a replay)');
      try {
        return reply.send(summary(await options.intake.applyAll(mailgunReports(request.body))));
      } catch (error) {
        // Not processed: Mailgun's retry of this very delivery must be taken.
        await options.replays.release(verdict.token).catch(() => undefined);
        throw error;
      }
    });

    await json.register(async (postmark: FastifyInstance) => {
      postmark.addHook('onRequest', async (request, reply) => {
        const verdict = options.postmarkAuth ? checkBasicAuth(request.headers.authorization, options.postmarkAuth) : 'invalid';
        if (verdict === 'ok') return;
        reply.header('www-authenticate', 'Basic realm="postmark", charset="UTF-8"');
        if (verdict === 'missing') throw new AppError('TOKEN_MISSING', 'Postmark webhooks need the basic auth of POSTMARK_WEBHOOK_AUTH');
        throw refuse(request, 'postmark', options.postmarkAuth ? 'wrong basic auth' : 'POSTMARK_WEBHOOK_AUTH is not set');
      });
      postmark.post('/webhooks/postmark', { bodyLimit: jsonLimit }, async (request, reply) =>
        reply.send(summary(await options.intake.applyAll(postmarkReports(request.body)))),
      );
    });
  });

  await app.register(async (ses: FastifyInstance) => {
    // SNS posts JSON as text/plain; both are read as text and parsed here.
    ses.removeAllContentTypeParsers();
    ses.addContentTypeParser(['text/plain', 'application/json'], { parseAs: 'string', bodyLimit: jsonLimit }, (_request, body, done) =>
      done(null, body),
    );
    ses.post('/webhooks/ses', { bodyLimit: jsonLimit }, async (request: FastifyRequest, reply: FastifyReply) => {
      let body: unknown;
      try {
        body = JSON.parse(typeof request.body === 'string' ? request.body : '');
      } catch {
        throw new AppError('BODY_INVALID', 'the body is not an SNS message (JSON)');
      }
      if (!options.sns) throw refuse(request, 'ses', 'SES_TOPIC_ARNS is not set: no SNS message can be accepted');
      const verdict = await options.sns.verify(body);
      if (!verdict.ok) throw refuse(request, 'ses', verdict.reason);
      const message = verdict.message;
      if (message.Type === 'SubscriptionConfirmation') {
        try {
          await options.sns.confirmSubscription(message);
        } catch (error) {
          throw new AppError('SERVICE_UNAVAILABLE', `could not confirm the subscription: ${(error as Error).message}`);
        }
        options.logger.info({ topic: message.TopicArn }, 'SNS subscription confirmed');
        return reply.send({ status: 'subscribed', topic: message.TopicArn });
      }
      if (message.Type === 'UnsubscribeConfirmation') return reply.send({ status: 'ignored', topic: message.TopicArn });
      return reply.send(summary(await options.intake.applyAll(sesReports(message.Message))));
    });
  });

  await app.register(async (mail: FastifyInstance) => {
    mail.addHook('onRequest', async (request) => {
      const header = request.headers.authorization;
      if (!header) throw new AppError('TOKEN_MISSING', 'raw reports need Authorization: Bearer INBOUND_TOKEN');
      const given = /^Bearer\s+(\S{1,1024})\s*$/i.exec(header)?.[1] ?? '';
      if (!options.inboundToken) throw refuse(request, 'mail', 'INBOUND_TOKEN is not set: no raw report can be accepted');
      if (!sameSecret(given, options.inboundToken)) throw new AppError('TOKEN_INVALID', 'the token is not INBOUND_TOKEN');
    });
    mail.removeAllContentTypeParsers();
    mail.addContentTypeParser('message/rfc822', { parseAs: 'buffer', bodyLimit: mailLimit }, (_request, body, done) => done(null, body));
    mail.post('/webhooks/mail', { bodyLimit: mailLimit }, async (request: FastifyRequest, reply: FastifyReply) => {
      if (!Buffer.isBuffer(request.body)) throw new AppError('BODY_INVALID', 'the body must be the report as message/rfc822');
      const read = readMailReport(request.body);
      const outcomes = await options.intake.applyAll(read.reports);
      return reply.send(summary(outcomes, { type: read.type, ...(read.note ? { note: read.note } : {}) }));
    });
  });
};
