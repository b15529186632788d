/**
 * Shared by the Instagram unit tests: an article with an image, and the post out of a Composed.
 */
import type { composeInstagramPost, InstagramPost } from '../../../../src/channels/instagram/compose.js';
import type { Article } from '../../../../src/domain/article.js';

export function instagramArticle(overrides: Partial<Article> = {}): Article {
  return {
    id: 'harbour-bridge-reopens',
    url: 'https://news.example.com/city/harbour-bridge-reopens',
    title: 'Harbour bridge reopens after repairs',
    summary: 'The bridge carries traffic again from Monday.',
    contentHtml: '',
    authors: [],
    categories: [],
    tags: ['bridge', 'city hall'],
    image: { url: 'https://cdn.example.com/bridge.png', alt: 'The bridge at dawn' },
    publishedAt: new Date('2026-03-02T08:00:00.000Z'),
    channels: {},
    ...overrides,
  };
}

export function postOf(composed: ReturnType<typeof composeInstagramPost>): InstagramPost {
  if ('skip' in composed) throw new Error(`skipped: ${composed.skip}`);
  return composed.post;
}
