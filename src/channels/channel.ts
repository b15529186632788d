/**
 * The one interface every platform channel implements (STYLE "Postiz", kept small): compose a
 * post from an article (pure), send it, find it again when an attempt's answer was lost,
 * retract it, and classify the platform's errors into what the ledger can act on.
 *
 * A channel imports `domain/`, its own folder and `graph/` only; its HTTP client and anything
 * with I/O (media storage, the clock) are handed in when it is created.
 */
import type { Article } from '../domain/article.js';

/** What a successful send (or a found earlier post) leaves in the ledger. */
export interface Receipt {
  /** The platform's id of the post (for a container flow: the published media id). */
  externalId: string;
  /** A link a person can open, when the platform has one. */
  externalUrl: string | null;
}

/** A composed post, or the reason this article does not go to this channel. */
export type Composed<Post> = { post: Post } | { skip: string };

/** The few actionable kinds platform errors fall into. */
export type ErrorClass =
  /** Transient (5xx, network, time-out): back off and try again. */
  | { kind: 'retry'; message: string; retryAfter?: Date }
  /** Rate limited: wait until `until` without spending an attempt. */
  | { kind: 'rate_limited'; message: string; until: Date }
  /** The platform already has this post: never retried. */
  | { kind: 'duplicate'; message: string }
  /** Credentials refused: the channel is failing until someone fixes them. */
  | { kind: 'auth'; message: string }
  /** Anything else that will not get better by retrying. */
  | { kind: 'permanent'; message: string };

/**
 * What a credentials check found (`syndicate doctor`, the workers' hourly checks). `refused`:
 * the platform said no, nothing goes out until someone fixes them; `unknown`: the platform
 * could not be asked (network, 5xx, time-out), so nothing is known either way.
 */
export type CredentialFinding =
  | {
      state: 'valid';
      /** Whom they belong to (`@handle`, a Page's name…), when the platform says. */
      account: string | null;
      /** When they stop working; null when they do not expire (or the platform does not say). */
      expiresAt: Date | null;
      /** Worth knowing, not blocking (a scope missing for reconciliation…). */
      note?: string;
    }
  | { state: 'refused' | 'unknown'; message: string };

/** How a retraction went. `manual_action`: the platform's API cannot delete it; a person must. */
export type RetractResult = 'retracted' | 'manual_action';

export interface Channel<Post = unknown> {
  /** The channel's name: its queue, its ledger rows, its key in an article's `channels`. */
  readonly name: string;
  /** Pure: the post for `article`, honouring `article.channels[name]` text overrides. */
  compose(article: Article): Composed<Post>;
  /** Publishes `post`. Throws platform errors as they are; `classify` reads them. */
  send(post: Post, article: Article): Promise<Receipt>;
  /** Looks on the platform for a post made for `article` by an attempt whose answer was lost. */
  find(article: Article, post: Post): Promise<Receipt | null>;
  /** Deletes the post behind `receipt` where the platform allows it. */
  retract(receipt: Receipt): Promise<RetractResult>;
  /** Classifies anything `send`, `find` or `retract` threw. */
  classify(error: unknown): ErrorClass;
  /** A JSON view of the post for `POST /api/preview` (text, weighted length, image variant…). */
  preview(post: Post): Record<string, unknown>;
  /**
   * Asks the platform whether the credentials work, whose they are and when they expire. Throws
   * what the platform threw (`classify` tells a refusal from an outage).
   */
  check?(): Promise<CredentialFinding>;
}

/** The parts of a channel that need no credentials: previews and the outbox use them. */
export type ChannelComposer<Post = unknown> = Pick<Channel<Post>, 'name' | 'compose' | 'preview'>;
