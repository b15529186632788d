/**
 * Article tags as X hashtags. X decides what a hashtag is with `twitter-text`, so a candidate
 * is kept only when that extractor reads it back whole ("#2024" is not a hashtag on X).
 */
import twitterText from '../../domain/twitter-text.js';
import { hashtagFromTag as genericHashtag, hashtagsFromTags as genericHashtags } from '../../domain/hashtags.js';

function readByX(hashtag: string): boolean {
  const extracted = twitterText.extractHashtags(hashtag);
  return extracted.length === 1 && `#${extracted[0]}` === hashtag;
}

/** The X hashtag for one tag, or `''` when X would not read it as one. */
export function hashtagFromTag(tag: string): string {
  const hashtag = genericHashtag(tag);
  return hashtag !== '' && readByX(hashtag) ? hashtag : '';
}

/** The tags' X hashtags in order, unusable ones and case-insensitive repeats left out. */
export function hashtagsFromTags(tags: readonly string[]): string[] {
  return genericHashtags(tags, readByX);
}
