/**
 * Every environment variable Syndicate reads (SPEC §5), its default and its unit.
 * `configSchema` turns the raw environment (strings) into a typed object; `load.ts` adds
 * `.env`, `NAME_FILE` secrets and generated secrets, and freezes the result.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1' || value === 'yes');

const int = (fallback: number, min: number, max: number) =>
  z
    .string()
    .default(String(fallback))
    .transform((value) => Number(value.trim() === '' ? Number.NaN : value))
    .pipe(z.number({ message: 'must be a number' }).int('must be a whole number').min(min).max(max));

const optional = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' });

const optionalUrl = optional.pipe(httpUrl.optional());

const list = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    );

/** Channels Syndicate knows; `CHANNELS` picks from these. */
export const KNOWN_CHANNELS = ['feeds', 'newsletter', 'x', 'facebook', 'instagram', 'mastodon', 'bluesky'] as const;

/** Channels an article's `channels` object may name (the feed always carries every article). */
export const ARTICLE_CHANNEL_NAMES: readonly string[] = KNOWN_CHANNELS.filter((name) => name !== 'feeds');

export const configSchema = z.object({
  /** HTTP listener port. @defaultValue 8080 */
  PORT: int(8080, 0, 65535),
  /** HTTP listener address. @defaultValue 0.0.0.0 */
  HOST: z.string().default('0.0.0.0'),
  /** Where readers, mail clients and Meta reach this service. @defaultValue http://localhost:$PORT */
  PUBLIC_BASE_URL: optionalUrl,
  SITE_TITLE: z.string().default('Syndicate'),
  SITE_URL: optionalUrl,
  SITE_DESCRIPTION: z.string().default(''),
  SITE_LANGUAGE: optional,
  /** @defaultValue redis://127.0.0.1:6379 */
  REDIS_URL: z.url({ protocol: /^rediss?$/, message: 'must be a redis:// or rediss:// URL' }).default('redis://127.0.0.1:6379'),
  /** Redis key prefix; use `{syndicate}` for Redis Cluster. @defaultValue syndicate */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9{}_.-]+$/, 'letters, digits, {}, _ . - only')
    .default('syndicate'),
  /** `sqlite:<path>` or `postgres://…`. @defaultValue sqlite:$DATA_DIR/syndicate.db */
  DATABASE_URL: optional.pipe(
    z
      .string()
      .regex(/^(sqlite:|postgres(ql)?:\/\/)/, 'must start with sqlite: or postgres://')
      .optional(),
  ),
  /** SQLite file, outbox, generated secrets. @defaultValue ./data */
  DATA_DIR: z.string().default('./data'),
  PUBLISHER_TOKEN: optional.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  ADMIN_TOKEN: optional.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  SECRET_KEY: optional.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  /** @defaultValue feeds,newsletter,x,facebook,instagram,mastodon,bluesky */
  CHANNELS: list(KNOWN_CHANNELS.join(',')).pipe(
    z.array(z.enum(KNOWN_CHANNELS, { message: `each must be one of ${KNOWN_CHANNELS.join(', ')}` })),
  ),
  /** Channels without credentials write to DATA_DIR/outbox instead of being off. @defaultValue true */
  OUTBOX: bool(true),
  /** Items per feed. @defaultValue 50 */
  FEED_ITEMS: int(50, 1, 1000),
  /** Longest rest before a feed rebuild, so a burst coalesces (the rest adapts to the rebuild's cost). Milliseconds. @defaultValue 200 */
  FEED_REBUILD_INTERVAL_MS: int(200, 0, 60_000),
  /** Comma-separated WebSub hub URLs. */
  WEBSUB_HUB: list('').pipe(z.array(httpUrl)),
  SMTP_URL: optional.pipe(z.url({ protocol: /^smtps?$/, message: 'must be smtp:// or smtps://' }).optional()),
  MAIL_FROM: optional,
  MAIL_REPLY_TO: optional,
  MAIL_POSTAL_ADDRESS: optional,
  /** Messages per second across all workers; 0 = no limit. @defaultValue 50 */
  MAIL_RATE: int(50, 0, 100_000),
  /** An address whose mail unsubscribes (List-Unsubscribe mailto); none by default. */
  MAIL_UNSUBSCRIBE_MAILTO: optional.pipe(z.email({ message: 'must be an email address' }).optional()),
  /** Seconds an email's ledger claim lasts: a worker that died is taken over after it. @defaultValue 60 */
  MAIL_LEASE_SECONDS: int(60, 1, 3600),
  /**
   * Domain of each email's return path `bounces+<token>@<domain>` (VERP); its MX must hand such
   * mail to `POST /webhooks/mail`. @defaultValue the domain of MAIL_FROM (else of PUBLIC_BASE_URL)
   */
  MAIL_BOUNCE_DOMAIN: optional.pipe(
    z
      .string()
      .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, 'must be a domain name such as bounces.example.org')
      .optional(),
  ),
  /** Keep the requester's IP address in a subscriber's consent record. @defaultValue false */
  SUBSCRIBE_RECORD_IP: bool(false),
  /** POST /subscribe requests per IP address per minute, all API processes together. @defaultValue 5 */
  SUBSCRIBE_RATE_LIMIT: int(5, 1, 100_000),
  /** Mailgun's HTTP webhook signing key; without it `POST /webhooks/mailgun` refuses every request. */
  MAILGUN_WEBHOOK_SIGNING_KEY: optional,
  /** `user:password` in Postmark's webhook URL (basic auth); without it `POST /webhooks/postmark` refuses every request. */
  POSTMARK_WEBHOOK_AUTH: optional.pipe(
    z
      .string()
      .regex(/^[^:]+:.+$/, 'must be user:password')
      .optional(),
  ),
  /** Bearer token of `POST /webhooks/mail` (raw DSN and ARF reports); without it that route refuses every request. */
  INBOUND_TOKEN: optional.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  /** SNS topics whose SES notifications are accepted, comma-separated; none: `POST /webhooks/ses` refuses every request. */
  SES_TOPIC_ARNS: list('').pipe(
    z.array(
      z
        .string()
        .regex(
          /^arn:aws(-cn|-us-gov)?:sns:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/,
          'each must be an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:ses-reports',
        ),
    ),
  ),
  /** A CA certificate (PEM) that SNS signing certificates must be issued by; none: any certificate served on sns.<region>.amazonaws.com. */
  SES_SIGNING_CERT_CA: optional,
  /**
   * Whose address a request has (sign-up limit, consent record). `false`: the socket's. A number:
   * that many proxy hops, counted from the right of X-Forwarded-For. Comma-separated addresses or
   * CIDR ranges: the proxies whose header is believed. `true`: every hop, so only behind a proxy
   * that replaces the header. @defaultValue false
   */
  TRUST_PROXY: z.string().default('false').transform(parseTrustProxy),
  DKIM_DOMAIN: optional,
  DKIM_SELECTOR: optional,
  DKIM_PRIVATE_KEY: optional,
  /** Hour of the day digests go out, in TZ. @defaultValue 7 */
  DIGEST_HOUR: int(7, 0, 23),
  /** Day of the week weekly digests go out (0 = Sunday). @defaultValue 1 */
  DIGEST_WEEKDAY: int(1, 0, 6),
  TZ: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin').default('UTC'),
  X_API_KEY: optional,
  X_API_SECRET: optional,
  X_ACCESS_TOKEN: optional,
  X_ACCESS_SECRET: optional,
  /** @defaultValue https://api.x.com */
  // twitter-api-v2 speaks HTTPS only; trust a test or proxy CA with NODE_EXTRA_CA_CERTS.
  X_API_BASE_URL: z.url({ protocol: /^https$/, message: 'must be an https URL' }).default('https://api.x.com'),
  /** @defaultValue `{title} {url} {hashtags}` */
  X_TEMPLATE: z.string().default('{title} {url} {hashtags}'),
  /** `inline` or `reply` (link in a reply). @defaultValue inline */
  X_LINK_MODE: z.enum(['inline', 'reply'], { message: 'must be inline or reply' }).default('inline'),
  FACEBOOK_PAGE_ID: optional,
  FACEBOOK_PAGE_TOKEN: optional,
  INSTAGRAM_USER_ID: optional,
  INSTAGRAM_TOKEN: optional,
  INSTAGRAM_DEFAULT_IMAGE: optionalUrl,
  /** @defaultValue https://graph.facebook.com */
  GRAPH_API_BASE_URL: httpUrl.default('https://graph.facebook.com'),
  /** @defaultValue v27.0 */
  GRAPH_API_VERSION: z
    .string()
    .regex(/^v\d+\.\d+$/, 'must look like v27.0')
    .default('v27.0'),
  /** The Mastodon instance, e.g. https://mastodon.social. */
  MASTODON_URL: optionalUrl,
  /** An access token with `write:statuses write:media` (and `read:accounts`, `read:statuses` for reconciliation). */
  MASTODON_TOKEN: optional,
  /** @defaultValue `{title} {url} {hashtags}` */
  MASTODON_TEMPLATE: z.string().default('{title} {url} {hashtags}'),
  /** @defaultValue https://bsky.social */
  BLUESKY_SERVICE: httpUrl.default('https://bsky.social'),
  BLUESKY_HANDLE: optional,
  /** An app password (Settings → App passwords), never the account's main password. */
  BLUESKY_APP_PASSWORD: optional,
  /** @defaultValue `{title} {url} {hashtags}` */
  BLUESKY_TEMPLATE: z.string().default('{title} {url} {hashtags}'),
  /** Comma-separated URLs every delivery outcome and article event is POSTed to, signed (SPEC §4). */
  WEBHOOK_URLS: list('').pipe(z.array(httpUrl)),
  /** Signs outbound webhooks (HMAC-SHA256). @defaultValue generated into DATA_DIR when WEBHOOK_URLS is set */
  WEBHOOK_SECRET: optional.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  /** Allow image URLs on private or loopback addresses (tests only). @defaultValue false */
  MEDIA_ALLOW_PRIVATE: bool(false),
  /** pino level. @defaultValue info */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Seconds a worker may take to finish its running jobs on SIGTERM. @defaultValue 25 */
  SHUTDOWN_TIMEOUT: int(25, 1, 3600),
  /** How often the ledger reconciler re-enqueues due rows that have no job (SPEC §4). Seconds. @defaultValue 60 */
  RECONCILE_INTERVAL_S: int(60, 1, 86_400),
  /** A worker's lock on a running job (renewed at half); a dead worker's job is taken back after it. Milliseconds. @defaultValue 30000 */
  JOB_LOCK_MS: int(30_000, 1_000, 3_600_000),
  /** How often workers look for jobs whose lock expired (stalled: their worker died). Milliseconds. @defaultValue 30000 */
  JOB_STALLED_INTERVAL_MS: int(30_000, 100, 3_600_000),
  /** Stalls a job survives; one more fails it ("job stalled more than allowable limit") and its claimed rows. @defaultValue 2 */
  JOB_MAX_STALLED: int(2, 0, 1000),
});

export type RawConfig = z.output<typeof configSchema>;

/** Variables that may be given as `NAME_FILE` (a path to a file holding the secret). */
export const SECRET_VARIABLES = [
  'PUBLISHER_TOKEN',
  'ADMIN_TOKEN',
  'SECRET_KEY',
  'DATABASE_URL',
  'REDIS_URL',
  'SMTP_URL',
  'DKIM_PRIVATE_KEY',
  'X_API_KEY',
  'X_API_SECRET',
  'X_ACCESS_TOKEN',
  'X_ACCESS_SECRET',
  'FACEBOOK_PAGE_TOKEN',
  'INSTAGRAM_TOKEN',
  'MASTODON_TOKEN',
  'BLUESKY_APP_PASSWORD',
  'WEBHOOK_SECRET',
  'MAILGUN_WEBHOOK_SIGNING_KEY',
  'POSTMARK_WEBHOOK_AUTH',
  'INBOUND_TOKEN',
  'SES_SIGNING_CERT_CA',
] as const;

/** TRUST_PROXY as Fastify's `trustProxy` takes it: false, true, a hop count, or addresses and ranges. */
export type TrustProxy = boolean | number | string[];

const TRUST_PROXY_FORMS = 'must be true, false, a number of proxy hops, or comma-separated IP addresses or CIDR ranges';

function parseTrustProxy(value: string, context: z.RefinementCtx): TrustProxy {
  const trimmed = value.trim().toLowerCase();
  if (trimmed === '' || trimmed === 'false' || trimmed === 'no') return false;
  if (trimmed === 'true' || trimmed === 'yes') return true;
  if (/^\d+$/.test(trimmed)) {
    const hops = Number(trimmed);
    if (hops <= 100) return hops === 0 ? false : hops;
  }
  const entries = trimmed.split(',').map((entry) => entry.trim());
  if (entries.every(isAddressOrRange)) return entries;
  context.addIssue({ code: 'custom', message: TRUST_PROXY_FORMS });
  return z.NEVER;
}

function isAddressOrRange(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
