/**
 * The Bluesky channel: an `app.bsky.feed.post` record written with
 * `com.atproto.repo.createRecord` under a record key derived from the article (`record-key.ts`),
 * with the article's image uploaded (`uploadBlob`) as the thumb of its link card; `find` reads
 * that record back (`getRecord`); retraction deletes it (`deleteRecord`).
 *
 * Because the key is fixed, a repeated write cannot make a second post: the PDS refuses it (the
 * reference PDS with a bare 500). So when `createRecord` fails for any reason other than
 * credentials or a rate limit, `send` reads the key back before giving up, and returns the
 * record it finds there when it is this article's post.
 */
import { AtUri, XRPCError, type BlobRef } from '@atproto/api';
import type { Channel, ChannelComposer, CredentialFinding, Receipt, RetractResult } from '../channel.js';
import type { Article } from '../../domain/article.js';
import { BLUESKY_CHANNEL, composeBlueskyPost, type BlueskyComposeOptions, type BlueskyPost } from './compose.js';
import { BlueskyImageError, BlueskyRecordKeyError, classifyBlueskyError } from './errors.js';
import { BLUESKY_IMAGE_SPEC } from './image-spec.js';
import { BLUESKY_RECORD_KEY_CANDIDATES, blueskyRecordKey } from './record-key.js';
import { createBlueskySession } from './session.js';

/** The collection every post is written to. */
export const BLUESKY_POST_COLLECTION = 'app.bsky.feed.post';

/** @defaultValue for {@link BlueskyChannelOptions.timeoutMs} */
export const BLUESKY_REQUEST_TIMEOUT_MS = 15_000;

/** An image ready to be a link card's thumb: JPEG or PNG, at most 1,000,000 bytes (the lexicon's limit). */
export interface BlueskyImage {
  data: Buffer;
  mimeType: string;
}

/** Options of {@link createBlueskyChannel}. */
export interface BlueskyChannelOptions extends BlueskyComposeOptions {
  /** The PDS or entryway (`BLUESKY_SERVICE`). Normally `https://bsky.social`. */
  service: string;
  /** `BLUESKY_HANDLE`: the account's handle (or DID). */
  handle: string;
  /** `BLUESKY_APP_PASSWORD`: an app password, never the account's main one. */
  appPassword: string;
  /** The article's image re-encoded under 1,000,000 bytes (`BLUESKY_IMAGE_SPEC`), or `null`; a throw fails the attempt (retried). */
  loadImage: (article: Article) => Promise<BlueskyImage | null>;
  /** The clock for `createdAt` and rate-limit waits. @defaultValue () => new Date() */
  now?: () => Date;
  /** Time-out of each request, in milliseconds. @defaultValue BLUESKY_REQUEST_TIMEOUT_MS (15 s) */
  timeoutMs?: number;
  /** The `fetch` requests go through (a proxy, tests). @defaultValue globalThis.fetch */
  fetch?: typeof globalThis.fetch;
}

/** The link a person can open for a post: `https://bsky.app/profile/<did>/post/<rkey>`. */
export function blueskyPostUrl(did: string, rkey: string): string {
  return `https://bsky.app/profile/${did}/post/${rkey}`;
}

/** Compose and preview only: no credentials needed. */
export function createBlueskyComposer(options: BlueskyComposeOptions): ChannelComposer<BlueskyPost> {
  return {
    name: BLUESKY_CHANNEL,
    compose: (article) => composeBlueskyPost(article, options),
    preview: (post) => ({ text: post.text, graphemes: post.graphemes, facets: post.facets, embed: post.embed }),
  };
}

/** Creates the channel; no request is made (and no session created) until a method is called. */
export function createBlueskyChannel(options: BlueskyChannelOptions): Channel<BlueskyPost> {
  const now = options.now ?? (() => new Date());
  const session = createBlueskySession({
    service: options.service,
    handle: options.handle,
    appPassword: options.appPassword,
    timeoutMs: options.timeoutMs ?? BLUESKY_REQUEST_TIMEOUT_MS,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });

  /** The record under `rkey`, or `null` when there is none. */
  async function readRecord(did: string, rkey: string): Promise<{ uri: string; value: unknown } | null> {
    try {
      const { data } = await session.run((agent) =>
        agent.com.atproto.repo.getRecord({ repo: did, collection: BLUESKY_POST_COLLECTION, rkey }),
      );
      return data;
    } catch (error) {
      if (error instanceof XRPCError && error.error === 'RecordNotFound') return null;
      throw error;
    }
  }

  /** The thumb uploaded as a blob, when the post has one and the image loads. */
  async function uploadThumb(post: BlueskyPost, article: Article): Promise<BlobRef | undefined> {
    if (!post.embed.thumb) return undefined;
    const image = await options.loadImage(article);
    if (!image) return undefined;
    if (!/^image\//.test(image.mimeType)) throw new BlueskyImageError(`the link card's thumb must be an image, not ${image.mimeType}`);
    if (image.data.length > BLUESKY_IMAGE_SPEC.maxBytes) {
      throw new BlueskyImageError(
        `the link card's thumb is ${image.data.length} bytes; Bluesky takes ${BLUESKY_IMAGE_SPEC.maxBytes} at most`,
      );
    }
    const { data } = await session.run((agent) => agent.com.atproto.repo.uploadBlob(image.data, { encoding: image.mimeType }));
    return data.blob;
  }

  /** What is under `rkey` after a failed write: this article's post, another post, or nothing (unknown when unreadable). */
  async function inspect(did: string, rkey: string, post: BlueskyPost): Promise<'ours' | 'taken' | 'absent'> {
    try {
      const record = await readRecord(did, rkey);
      return record === null ? 'absent' : isPostFor(record.value, post) ? 'ours' : 'taken';
    } catch {
      return 'absent'; // cannot tell: the original error stands, and the retry looks again
    }
  }

  return {
    ...createBlueskyComposer(options),

    async send(post, article) {
      const did = await session.did();
      const thumb = await uploadThumb(post, article);
      const record = postRecord(post, thumb, now());
      for (let candidate = 0; candidate < BLUESKY_RECORD_KEY_CANDIDATES; candidate++) {
        const rkey = blueskyRecordKey(article.id, candidate);
        try {
          // validate: the PDS checks the record against the lexicon, its key included, or refuses it.
          const { data } = await session.run((agent) =>
            agent.com.atproto.repo.createRecord({ repo: did, collection: BLUESKY_POST_COLLECTION, rkey, validate: true, record }),
          );
          return { externalId: data.uri, externalUrl: blueskyPostUrl(did, rkey) };
        } catch (error) {
          const kind = classifyBlueskyError(error, now()).kind;
          if (kind === 'auth' || kind === 'rate_limited') throw error;
          const found = await inspect(did, rkey, post);
          if (found === 'ours') return receipt(did, rkey);
          if (found === 'absent') throw error;
        }
      }
      throw new BlueskyRecordKeyError(`every record key of article ${article.id} holds another post`);
    },

    async find(article, post) {
      const did = await session.did();
      for (let candidate = 0; candidate < BLUESKY_RECORD_KEY_CANDIDATES; candidate++) {
        const rkey = blueskyRecordKey(article.id, candidate);
        const record = await readRecord(did, rkey);
        if (record === null) return null;
        if (isPostFor(record.value, post)) return receipt(did, rkey);
      }
      return null;
    },

    async retract(found): Promise<RetractResult> {
      const did = await session.did();
      const uri = parseAtUri(found.externalId);
      // A post of another account (the credentials changed since) cannot be deleted with these.
      if (!uri || uri.host !== did) return 'manual_action';
      const { collection, rkey } = uri;
      // The PDS answers success for a record already gone: a repeated retraction is fine.
      await session.run((agent) => agent.com.atproto.repo.deleteRecord({ repo: did, collection, rkey }));
      return 'retracted';
    },

    classify: (error) => classifyBlueskyError(error, now()),

    async check(): Promise<CredentialFinding> {
      // The live session (created once, refreshed since): an hourly check logs in no more than posts do.
      // App passwords do not expire; the session's own tokens are refreshed as they run out.
      const { data } = await session.run((agent) => agent.com.atproto.server.getSession());
      return { state: 'valid', account: `@${data.handle} (${data.did})`, expiresAt: null };
    },
  };
}

function parseAtUri(uri: string): AtUri | null {
  try {
    return new AtUri(uri);
  } catch {
    return null;
  }
}

function receipt(did: string, rkey: string): Receipt {
  return { externalId: `at://${did}/${BLUESKY_POST_COLLECTION}/${rkey}`, externalUrl: blueskyPostUrl(did, rkey) };
}

/** The `app.bsky.feed.post` record of `post`. */
function postRecord(post: BlueskyPost, thumb: BlobRef | undefined, createdAt: Date): Record<string, unknown> {
  const { uri, title, description } = post.embed;
  return {
    $type: BLUESKY_POST_COLLECTION,
    text: post.text,
    ...(post.facets.length > 0 ? { facets: post.facets } : {}),
    embed: { $type: 'app.bsky.embed.external', external: { uri, title, description, ...(thumb ? { thumb } : {}) } },
    ...(post.langs ? { langs: post.langs } : {}),
    createdAt: createdAt.toISOString(),
  };
}

/** True when a stored record is the post for this article: its card or its link facet carries the article's URL. */
function isPostFor(value: unknown, post: BlueskyPost): boolean {
  if (!value || typeof value !== 'object') return false;
  const record = value as { embed?: { external?: { uri?: unknown } }; facets?: Array<{ features?: Array<{ uri?: unknown }> }> };
  if (record.embed?.external?.uri === post.embed.uri) return true;
  return (record.facets ?? []).some((facet) => (facet.features ?? []).some((feature) => feature.uri === post.embed.uri));
}
