/**
 * Bluesky's link-card thumbs: the `app.bsky.embed.external` lexicon takes `image/*` blobs up to
 * 1,000,000 bytes (decimal), checked when the post is written. Cards show the thumb at most a
 * few hundred pixels wide, so 2000 px is plenty and keeps the JPEG well under the budget.
 *
 * Declared as a plain object of the shape of media's `ImageVariantSpec` (this folder does not
 * import media/): the wiring hands it to the image library and `loadImage` returns its variant.
 */

/** Bluesky's image variant, stored and served as /media/:article/bluesky.jpg. */
export const BLUESKY_IMAGE_SPEC = { name: 'bluesky', format: 'jpeg', maxBytes: 1_000_000, maxLongestSide: 2000 } as const;
