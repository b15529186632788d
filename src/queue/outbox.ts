/**
 * The outbox: with OUTBOX=true a platform channel without credentials writes what it would
 * send to DATA_DIR/outbox/<channel>/<article>.json instead of being off, so a fresh
 * `npm start` shows every output. It is a Channel like any other and goes through the ledger.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Channel, ChannelComposer, Receipt } from '../channels/channel.js';

export function createOutboxChannel<Post>(composer: ChannelComposer<Post>, outboxDir: string): Channel<Post> {
  const dir = path.join(outboxDir, composer.name);
  const fileOf = (articleId: string) => path.join(dir, `${articleId}.json`);
  const receiptOf = (articleId: string): Receipt => ({ externalId: `outbox:${articleId}`, externalUrl: `file://${fileOf(articleId)}` });

  return {
    name: composer.name,
    compose: (article) => composer.compose(article),
    preview: (post) => composer.preview(post),
    async send(post, article) {
      // Owner only: posts may carry links with tokens.
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const record = {
        channel: composer.name,
        articleId: article.id,
        url: article.url,
        writtenAt: new Date().toISOString(),
        post: composer.preview(post),
      };
      await writeFile(fileOf(article.id), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
      return receiptOf(article.id);
    },
    async find(article) {
      try {
        await readFile(fileOf(article.id));
        return receiptOf(article.id);
      } catch {
        return null;
      }
    },
    async retract(receipt) {
      await rm(fileOf(receipt.externalId.replace(/^outbox:/, '')), { force: true });
      return 'retracted';
    },
    classify: (error) => ({ kind: 'retry', message: error instanceof Error ? error.message : String(error) }),
  };
}
