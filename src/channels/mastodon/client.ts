/**
 * The Mastodon channel: posts a public status on `MASTODON_URL` with the article's image
 * uploaded and described, under an `Idempotency-Key` derived from the delivery; finds it again
 * among the account's recent statuses when an answer was lost; deletes it on retraction.
 *
 * The instance's limits and the pure `compose`: `compose(article)` is synchronous and the
 * limits come from the server, so the channel keeps the last limits it read (instance-limits.ts)
 * and composes with those — Mastodon's defaults (500, 23) until the first read. `send` and
 * `find` read the limits first when they are due (the first call, then hourly), and `send`
 * composes again when the post it was handed was fitted to other limits, so what is posted
 * always fits the instance as last read. The composer for previews and the outbox never makes
 * a request: it uses the defaults, or the limits it is given.
 */
import type { Article } from '../../domain/article.js';
import type { Channel, ChannelComposer, CredentialFinding, Receipt, RetractResult } from '../channel.js';
import { composeMastodonPost, MASTODON_CHANNEL, type MastodonPost } from './compose.js';
import { classifyMastodonError, MastodonResponseError } from './errors.js';
import { readStatuses, statusHasText, statusLinksTo, type StatusSummary } from './find.js';
import { DEFAULT_MASTODON_LIMITS, type MastodonLimits } from './fit.js';
import { createMastodonRequester, jsonField, MASTODON_REQUEST_TIMEOUT_MS, type MastodonAnswer, type MastodonHttpOptions } from './http.js';
import { mastodonIdempotencyKey } from './idempotency-key.js';
import { createInstanceLimits } from './instance-limits.js';
import { MASTODON_MEDIA_FIRST_POLL_DELAY_MS, MASTODON_MEDIA_MAX_POLLS, uploadMedia, type MastodonImage } from './media.js';

/** The parts of the channel that need no credentials (previews, the outbox). */
export type MastodonComposer = ChannelComposer<MastodonPost>;

/** Options of {@link createMastodonComposer}. */
export interface MastodonComposerOptions extends Partial<MastodonLimits> {
  /** `MASTODON_TEMPLATE`. */
  template: string;
}

/** Options of {@link createMastodonChannel}. */
export interface MastodonChannelOptions extends MastodonHttpOptions {
  /** `MASTODON_TEMPLATE`. */
  template: string;
  /** The article's image prepared for Mastodon (image-spec.ts), or `null` when it has none; a throw fails the attempt. */
  loadImage: (article: Article) => Promise<MastodonImage | null>;
  /** The statuses' language (ISO 639-1, e.g. `en`). @defaultValue none: the account's posting language */
  language?: string;
  /** The clock rate-limit waits and the limits' refresh are measured from. @defaultValue () => new Date() */
  now?: () => Date;
  /** How an image the instance processes in the background is waited for. @defaultValue 10 reads, the first after 250 ms */
  mediaPoll?: { maxPolls?: number; firstDelayMs?: number };
}

/** How many of the account's newest statuses `find` reads (Mastodon's most per page). */
export const MASTODON_FIND_LIMIT = 40;

/** Compose and preview only; `maxCharacters` and `charactersReservedPerUrl` default to Mastodon's own (500, 23). */
export function createMastodonComposer(options: MastodonComposerOptions): MastodonComposer {
  const limits: MastodonLimits = {
    maxCharacters: options.maxCharacters ?? DEFAULT_MASTODON_LIMITS.maxCharacters,
    charactersReservedPerUrl: options.charactersReservedPerUrl ?? DEFAULT_MASTODON_LIMITS.charactersReservedPerUrl,
  };
  return {
    name: MASTODON_CHANNEL,
    compose: (article) => composeMastodonPost(article, { template: options.template, ...limits }),
    preview,
  };
}

function preview(post: MastodonPost): Record<string, unknown> {
  return { text: post.text, length: post.length, maxCharacters: post.maxCharacters, image: post.image };
}

/** Creates the channel; no request is made until `send`, `find` or `retract`. Throws `TypeError` for a base URL that is not http(s). */
export function createMastodonChannel(options: MastodonChannelOptions): Channel<MastodonPost> {
  const now = options.now ?? (() => new Date());
  const request = createMastodonRequester(options);
  const limits = createInstanceLimits(request, now);
  const poll = {
    maxPolls: options.mediaPoll?.maxPolls ?? MASTODON_MEDIA_MAX_POLLS,
    firstDelayMs: options.mediaPoll?.firstDelayMs ?? MASTODON_MEDIA_FIRST_POLL_DELAY_MS,
    budgetMs: options.timeoutMs ?? MASTODON_REQUEST_TIMEOUT_MS,
  };
  let accountId: string | undefined;

  const compose = (article: Article, fittedTo: MastodonLimits) => composeMastodonPost(article, { template: options.template, ...fittedTo });

  /** `post`, or the article composed again when `post` was fitted to other limits than the instance's. */
  function fitted(post: MastodonPost, article: Article, current: MastodonLimits): MastodonPost {
    if (post.maxCharacters === current.maxCharacters && post.charactersReservedPerUrl === current.charactersReservedPerUrl) return post;
    const again = compose(article, current);
    return 'post' in again ? again.post : post;
  }

  async function uploadImage(post: MastodonPost, article: Article): Promise<string[]> {
    if (!post.image) return [];
    const image = await options.loadImage(article);
    if (!image) return [];
    return [await uploadMedia(request, image, post.image.alt, poll)];
  }

  async function ownAccountId(): Promise<string> {
    if (accountId === undefined) {
      const answer = await request('GET', '/api/v1/accounts/verify_credentials');
      const id = jsonField(answer.body, 'id');
      if (typeof id !== 'string' || id === '') throw unexpected('GET', '/api/v1/accounts/verify_credentials', answer, 'no account id');
      accountId = id;
    }
    return accountId;
  }

  async function recentStatuses(): Promise<StatusSummary[]> {
    const path = `/api/v1/accounts/${encodeURIComponent(await ownAccountId())}/statuses`;
    const answer = await request('GET', path, { query: { limit: MASTODON_FIND_LIMIT, exclude_replies: true, exclude_reblogs: true } });
    const statuses = readStatuses(answer.body);
    if (statuses === null) throw unexpected('GET', path, answer, 'not a list of statuses');
    return statuses;
  }

  return {
    name: MASTODON_CHANNEL,
    compose: (article) => compose(article, limits.current()),
    preview,

    async send(post, article) {
      const status = fitted(post, article, await limits.ensure());
      const mediaIds = await uploadImage(status, article);
      const answer = await request('POST', '/api/v1/statuses', {
        json: {
          status: status.text,
          visibility: 'public',
          ...(mediaIds.length > 0 ? { media_ids: mediaIds } : {}),
          ...(options.language ? { language: options.language } : {}),
        },
        // The same key on every attempt: a repeat within the hour returns the status already made.
        headers: { 'idempotency-key': mastodonIdempotencyKey(article) },
      });
      const id = jsonField(answer.body, 'id');
      // The status may exist: retried, the attempt first looks for it (and the key returns it).
      if (typeof id !== 'string' || id === '') throw unexpected('POST', '/api/v1/statuses', answer, 'no status id');
      return receipt(id, answer.body);
    },

    async find(article, post): Promise<Receipt | null> {
      const current = await limits.ensure();
      let statuses: StatusSummary[];
      try {
        statuses = await recentStatuses();
      } catch (error) {
        // A token with only the write scopes SPEC §5 asks for cannot read the account: then the
        // Idempotency-Key, which `send` always sends, is what keeps a repeat from posting twice.
        if (error instanceof MastodonResponseError && error.status === 403) return null;
        throw error;
      }
      const linked = statuses.find((status) => statusLinksTo(status, article.url));
      const texts = new Set([post.text, fitted(post, article, current).text]);
      const found = linked ?? statuses.find((status) => [...texts].some((text) => statusHasText(status, text)));
      return found ? { externalId: found.id, externalUrl: found.url } : null;
    },

    async retract(found): Promise<RetractResult> {
      try {
        await request('DELETE', `/api/v1/statuses/${encodeURIComponent(found.externalId)}`);
      } catch (error) {
        // Already gone (deleted by hand, or by an earlier attempt whose answer was lost).
        if (error instanceof MastodonResponseError && error.status === 404) return 'retracted';
        throw error;
      }
      return 'retracted';
    },

    classify: (error) => classifyMastodonError(error, now()),

    async check(): Promise<CredentialFinding> {
      // Mastodon's access tokens do not expire; they work until revoked.
      const host = new URL(options.baseUrl).host;
      try {
        const answer = await request('GET', '/api/v1/accounts/verify_credentials');
        const id = jsonField(answer.body, 'id');
        if (typeof id === 'string' && id !== '') accountId = id;
        const acct = jsonField(answer.body, 'acct');
        return { state: 'valid', account: typeof acct === 'string' && acct !== '' ? `@${acct}@${host}` : null, expiresAt: null };
      } catch (error) {
        // 403: the token is good but may not read its account (only the write scopes SPEC §5 asks for).
        if (!(error instanceof MastodonResponseError && error.status === 403)) throw error;
        return {
          state: 'valid',
          account: null,
          expiresAt: null,
          note: `the token may not read its account on ${host}: add read:accounts to see whose it is`,
        };
      }
    },
  };
}

function receipt(id: string, status: unknown): Receipt {
  const url = jsonField(status, 'url') ?? jsonField(status, 'uri');
  return { externalId: id, externalUrl: typeof url === 'string' && url !== '' ? url : null };
}

function unexpected(method: string, path: string, answer: MastodonAnswer, problem: string): MastodonResponseError {
  return new MastodonResponseError({ method, path }, answer.status, answer.headers, answer.body, problem);
}
