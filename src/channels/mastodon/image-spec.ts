/**
 * The image variant Mastodon gets: JPEG, or PNG where the source is PNG (screenshots and charts
 * stay sharp). 8 MB stays under the upload limit of every recent Mastodon version (10 MB and
 * more); Mastodon shrinks an original to about 8.3 megapixels (3840×2160) itself, so a longest
 * side of 3840 px sends little it would throw away. Declared here, made by the media library.
 */

/** What the media library makes for Mastodon (`{ name, format, maxBytes, maxLongestSide }`). */
export const MASTODON_IMAGE_SPEC = { name: 'mastodon', format: 'jpeg-or-png', maxBytes: 8_000_000, maxLongestSide: 3840 } as const;
