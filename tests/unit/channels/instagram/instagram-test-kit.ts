/**
 * Shared by the Instagram unit tests: an article with an image, and the post out of a Composed.
 */
import type { composeInstagramPost, InstagramPost } from '../../../../src/channels/instagram/compose.js';
import type { Article } from '../../../../src/domain/article.js';
import { makeArticle } from '../../../helpers/articles.js';

export function instagramArticle(overrides: Partial<Article> = {}): Article {
  return makeArticle({
    tags: ['bridge', 'city hall'],
    image: { url: 'https://cdn.example.com/bridge.png', alt: 'The bridge at dawn' },
    ...overrides,
  });
}

export function postOf(composed: ReturnType<typeof composeInstagramPost>): InstagramPost {
  if ('skip' in composed) throw new Error(`skipped: ${composed.skip}`);
  return composed.post;
}
