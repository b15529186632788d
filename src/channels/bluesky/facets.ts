/**
 * Rich-text facets (`app.bsky.richtext.facet`): which bytes of a post's text are a link or a
 * hashtag. Pure.
 *
 * Bluesky indexes facets in UTF-8 bytes, JavaScript strings in UTF-16 code units: an emoji is 2
 * code units and 4 bytes, "é" 1 and 2, "中" 1 and 3. Every offset we send is computed here, from
 * code points, so emoji, CJK, RTL text and combining marks before a link never shift its facet.
 */

/** A byte range of the UTF-8 encoded text: start inclusive, end exclusive. */
export interface ByteSlice {
  byteStart: number;
  byteEnd: number;
}

/** A facet's link feature: `uri` is the full URL even when the text shows it shortened. */
export interface BlueskyLinkFeature {
  $type: 'app.bsky.richtext.facet#link';
  uri: string;
}

/** A facet's hashtag feature: `tag` without the leading `#`. */
export interface BlueskyTagFeature {
  $type: 'app.bsky.richtext.facet#tag';
  tag: string;
}

/** One `app.bsky.richtext.facet`, shaped as the record carries it. */
export interface BlueskyFacet {
  index: ByteSlice;
  features: Array<BlueskyLinkFeature | BlueskyTagFeature>;
}

/** A marked range of a text in UTF-16 indices, as the template renders it. */
export interface TextMark {
  start: number;
  end: number;
  kind: 'link' | 'tag';
  /** The link's full URL, or the hashtag without `#`. */
  value: string;
}

/** The UTF-8 length of `text` in bytes; a lone surrogate counts 3, as `TextEncoder` writes U+FFFD. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const character of text) {
    const code = character.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** The byte range of `text.slice(start, end)` (UTF-16 indices on code point boundaries). */
export function byteSlice(text: string, start: number, end: number): ByteSlice {
  const byteStart = utf8Length(text.slice(0, start));
  return { byteStart, byteEnd: byteStart + utf8Length(text.slice(start, end)) };
}

/** The text a byte range marks: what a Bluesky client underlines. */
export function textAtByteSlice(text: string, slice: ByteSlice): string {
  return new TextDecoder().decode(new TextEncoder().encode(text).subarray(slice.byteStart, slice.byteEnd));
}

/** The facets for `marks` of `text`, in text order. */
export function facetsFromMarks(text: string, marks: readonly TextMark[]): BlueskyFacet[] {
  return [...marks]
    .sort((a, b) => a.start - b.start)
    .map((mark) => ({
      index: byteSlice(text, mark.start, mark.end),
      features: [
        mark.kind === 'link'
          ? { $type: 'app.bsky.richtext.facet#link', uri: mark.value }
          : { $type: 'app.bsky.richtext.facet#tag', tag: mark.value },
      ],
    }));
}
