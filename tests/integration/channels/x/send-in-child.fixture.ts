/**
 * Run by client.test.ts in a child process (`node --import tsx`), the way production runs:
 * no agent handed in, so TLS trust comes only from Node's own store plus `NODE_EXTRA_CA_CERTS`.
 * Argument: JSON `{ baseUrl, credentials }`. Prints the receipt as JSON, or the classified error.
 */
import { createXChannel, DEFAULT_X_TEMPLATE, type XCredentials } from '../../../../src/channels/x/index.js';
import type { Article } from '../../../../src/domain/article.js';

const { baseUrl, credentials } = JSON.parse(process.argv[2] ?? '{}') as { baseUrl: string; credentials: XCredentials };
const channel = createXChannel({
  credentials,
  baseUrl,
  compose: { template: DEFAULT_X_TEMPLATE, linkMode: 'inline' },
  loadImage: async () => null,
  timeoutMs: 5000,
});
const article: Article = {
  id: 'child-process-post',
  url: 'https://news.example.com/child-process-post',
  title: 'Posted from a process that trusts the test CA through NODE_EXTRA_CA_CERTS',
  summary: '',
  contentHtml: '',
  authors: [],
  categories: [],
  tags: ['tls'],
  image: null,
  publishedAt: new Date(),
  channels: {},
};

const composed = channel.compose(article);
if ('skip' in composed) throw new Error(composed.skip);
try {
  process.stdout.write(`${JSON.stringify({ receipt: await channel.send(composed.post, article) })}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ error: channel.classify(error) })}\n`);
}
