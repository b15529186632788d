/**
 * Letters: a rendered email plus the envelope a subscriber needs — their address, their own
 * unsubscribe link (signed), the List-* headers, a deterministic Message-ID, so a repeat
 * of the same email can be recognised by the receiving side (LEDGER.md "Email"), and a
 * per-recipient token as the envelope sender (`bounces+<token>@<bounce domain>`, VERP) and in
 * `X-Syndicate-Recipient`, so a bounce or complaint maps back to subscriber and email.
 */
import type { Article } from '../../domain/article.js';
import type { Frequency, Subscriber } from '../../domain/subscriber.js';
import { renderArticleTemplate, renderConfirmationEmail, renderDigestEmail, type EmailSite } from './render.js';
import type { MailMessage } from './send.js';
import { VERP_LOCAL_PREFIX, type LetterRef, type RecipientTokens, type TokenSigner } from './tokens.js';

export interface LetterOptions {
  site: EmailSite;
  tokens: TokenSigner;
  /** Right-hand side of every Message-ID. */
  messageDomain: string;
  /** The List-Id header value, e.g. `News <news.example.org>`. */
  listId: string;
  /** An address that unsubscribes by mail (List-Unsubscribe mailto), or null. */
  unsubscribeMailto: string | null;
  /** How long a confirmation link works. */
  confirmTtlMs: number;
  /** Per-recipient tokens for the return path and `X-Syndicate-Recipient`; none: the From address is the envelope sender. */
  recipients?: RecipientTokens;
  /** The domain of the VERP return path (`MAIL_BOUNCE_DOMAIN`, else the sender's). @defaultValue messageDomain */
  bounceDomain?: string;
}

export type Letters = ReturnType<typeof createLetters>;

export function createLetters(options: LetterOptions) {
  const base = options.site.publicBaseUrl.replace(/\/+$/, '');

  function unsubscribeUrl(subscriber: Pick<Subscriber, 'id' | 'email'>): string {
    const token = options.tokens.sign({ purpose: 'unsubscribe', subscriberId: subscriber.id, email: subscriber.email });
    return `${base}/unsubscribe/${token}`;
  }

  function confirmUrl(subscriber: Pick<Subscriber, 'id' | 'email'>, now: Date): string {
    const expiresAt = new Date(now.getTime() + options.confirmTtlMs);
    const token = options.tokens.sign({ purpose: 'confirm', subscriberId: subscriber.id, email: subscriber.email, expiresAt });
    return `${base}/confirm/${token}`;
  }

  function envelope(subscriber: Subscriber, messageId: string, listUnsubscribeUrl: string, letter: LetterRef) {
    const token = options.recipients?.sign(subscriber.id, letter) ?? null;
    return {
      to: { address: subscriber.email, name: subscriber.name },
      messageId: `${messageId}@${options.messageDomain}`,
      listUnsubscribeUrl,
      listUnsubscribeMailto: options.unsubscribeMailto,
      listId: options.listId,
      ...(token
        ? { recipientToken: token, envelopeFrom: `${VERP_LOCAL_PREFIX}${token}@${options.bounceDomain ?? options.messageDomain}` }
        : {}),
    };
  }

  return {
    unsubscribeUrl,
    confirmUrl,

    /**
     * Renders `article` once (what keeps 100,000 emails cheap); the returned function makes each
     * subscriber's message, their own unsubscribe link in its footer and headers only.
     * @throws whatever rendering throws (HtmlLimitError for stored content beyond the limits).
     */
    article(article: Article): (subscriber: Subscriber) => MailMessage {
      const template = renderArticleTemplate(article, options.site);
      return (subscriber) => {
        const link = unsubscribeUrl(subscriber);
        const letter = { kind: 'article', articleId: article.id } as const;
        return { ...envelope(subscriber, `${article.id}.${subscriber.id}`, link, letter), ...template.personalise(link) };
      };
    },

    /** One subscriber's digest of `articles` (oldest first). */
    digest(
      articles: readonly Article[],
      subscriber: Subscriber,
      period: { frequency: 'daily' | 'weekly'; periodEnd: Date; timeZone: string },
    ): MailMessage {
      const link = unsubscribeUrl(subscriber);
      const rendered = renderDigestEmail(articles, options.site, { ...period, unsubscribeUrl: link });
      // The newest article names the digest: the next digest of this subscriber starts after it.
      const newest = articles[articles.length - 1]!;
      const letter = { kind: 'digest', articleId: newest.id } as const;
      return { ...envelope(subscriber, `digest-${period.frequency}-${newest.id}.${subscriber.id}`, link, letter), ...rendered };
    },

    /** The double opt-in email for the subscriber's latest request. */
    confirmation(subscriber: Subscriber, now: Date): MailMessage {
      const rendered = renderConfirmationEmail(options.site, {
        confirmUrl: confirmUrl(subscriber, now),
        email: subscriber.email,
        frequency: subscriber.frequency as Frequency,
      });
      return {
        ...envelope(subscriber, `confirm-${subscriber.requestedAt.getTime()}.${subscriber.id}`, unsubscribeUrl(subscriber), {
          kind: 'confirmation',
        }),
        ...rendered,
      };
    },
  };
}
