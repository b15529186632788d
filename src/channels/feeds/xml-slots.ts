/**
 * Escaping for the XML that the `feed` package writes.
 *
 * `feed` (5.2.1) serialises through `xml-js` 1.6.11, which escapes wrongly for some input:
 * - nashwaan/xml-js#69 (open), jpmonette/feed#227 and #249: attribute values get only `"`
 *   escaped, so `&` or `<` in a category term, a link or an enclosure URL breaks the document;
 * - `writeCdata` splits only the first `]]>` (`String.replace` with a string pattern, the bug
 *   node-xml2js fixed in its PR #724), so a second `]]>` ends the CDATA section early;
 * - `writeText` first turns every `&amp;` back into `&` ("desanitize", nashwaan/xml-js#26), so a
 *   literal "&amp;" in a title comes out as "&";
 * - jpmonette/feed#206: its `sanitize()` pre-escapes `&` in some URLs only, so whether a value is
 *   escaped once, twice or not at all depends on the field.
 *
 * Rather than pre-escaping each field to suit each of these behaviours (which would break the day
 * they are fixed), every value is handed to `feed` as an opaque placeholder and written back,
 * escaped by us for where it landed, once the XML is complete.
 */
import { cleanText } from '../../domain/text.js';

/**
 * U+FFFF delimits placeholders: `cleanText` removes it from every value, so no text can forge one,
 * and neither `feed` nor `xml-js` rewrites it (they only touch `&`, `<`, `>`, `"` and `]]>`).
 */
const MARK = '\uFFFF';
const CDATA_SLOT = /<!\[CDATA\[\uFFFF(\d+)\uFFFF\]\]>/g;
const ATTRIBUTE_SLOT = /="\uFFFF(\d+)\uFFFF"/g;
const TEXT_SLOT = /\uFFFF(\d+)\uFFFF/g;

/** Placeholders for text values, filled in, correctly escaped, after `feed` has rendered. */
export class XmlSlots {
  readonly #values: string[] = [];

  /** Registers `value` (cleaned of XML-forbidden characters) and returns its placeholder. */
  slot(value: string): string {
    this.#values.push(cleanText(value));
    return `${MARK}${this.#values.length - 1}${MARK}`;
  }

  /** Like {@link slot}, but `undefined` for an absent or empty value, so `feed` omits the element. */
  optionalSlot(value: string | undefined): string | undefined {
    return value ? this.slot(value) : undefined;
  }

  /**
   * Replaces every placeholder in `xml` with its value, escaped for its position: CDATA
   * sections, attribute values and element text each have their own rules.
   * @throws Error when a placeholder is left, i.e. `feed` put a value somewhere unexpected.
   */
  fill(xml: string): string {
    const filled = xml
      .replace(CDATA_SLOT, (_match, index: string) => cdata(this.#value(index)))
      .replace(ATTRIBUTE_SLOT, (_match, index: string) => `="${escapeAttribute(this.#value(index))}"`)
      .replace(TEXT_SLOT, (_match, index: string) => escapeText(this.#value(index)));
    if (filled.includes(MARK)) throw new Error('feed rendering left a placeholder unfilled');
    return filled;
  }

  #value(index: string): string {
    const value = this.#values[Number(index)];
    if (value === undefined) throw new Error(`unknown feed placeholder ${index}`);
    return value;
  }
}

/**
 * A CDATA section holding `text` exactly: every `]]>` is split across two sections, and every CR
 * is written as a character reference between sections, since parsers turn a literal CR into LF.
 */
export function cdata(text: string): string {
  const body = text.replace(/\]\]>|\r/g, (match) => (match === '\r' ? ']]>&#13;<![CDATA[' : ']]]]><![CDATA[>'));
  return `<![CDATA[${body}]]>`;
}

/** Escapes element text; CR as a reference so that line-end normalisation keeps it. */
export function escapeText(text: string): string {
  return text.replace(/[&<>\r]/g, (character) => XML_ESCAPES[character] ?? character);
}

/** Escapes a double-quoted attribute value; TAB, LF and CR as references, which attribute normalisation keeps. */
export function escapeAttribute(text: string): string {
  return text.replace(/[&<>"\t\n\r]/g, (character) => XML_ESCAPES[character] ?? character);
}

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

/**
 * Inserts `elements` as siblings right after the empty element holding `anchor` (a placeholder
 * used once), at the same indentation. For what `feed` cannot express: several hub links, alternates.
 * @throws Error when the anchor is missing or not unique.
 */
export function insertAfterElement(xml: string, anchor: string, elements: readonly string[]): string {
  const at = xml.indexOf(anchor);
  if (at < 0 || xml.indexOf(anchor, at + anchor.length) >= 0) {
    throw new Error('feed rendering: anchor element not found exactly once');
  }
  const start = xml.lastIndexOf('<', at);
  const end = xml.indexOf('>', at) + 1;
  const lineStart = xml.lastIndexOf('\n', start) + 1;
  const leading = xml.slice(lineStart, start);
  const indent = /^[ \t]*$/.test(leading) ? leading : '';
  const inserted = elements.map((element) => `\n${indent}${element}`).join('');
  return xml.slice(0, end) + inserted + xml.slice(end);
}

/**
 * Adds attributes (namespace declarations, `xml:lang`) to the root start tag, skipping names the
 * tag already has. Values must be placeholders or constants that need no escaping.
 * @throws Error when the root element is not found.
 */
export function addRootAttributes(xml: string, root: string, attributes: Record<string, string>): string {
  const match = new RegExp(`<${root}(?=[\\s>/])[^>]*`).exec(xml);
  if (!match) throw new Error(`feed rendering: root element <${root}> not found`);
  const tag = match[0];
  const added = Object.entries(attributes)
    .filter(([name]) => !new RegExp(`\\s${name.replace(/[.:]/g, '\\$&')}=`).test(tag))
    .map(([name, value]) => ` ${name}="${value}"`)
    .join('');
  const end = match.index + tag.length;
  return xml.slice(0, end) + added + xml.slice(end);
}

/**
 * Replaces the root element's start tag (whatever attributes `feed` gave it) with `tag`.
 * @throws Error when the root element is not found.
 */
export function replaceRootStartTag(xml: string, root: string, tag: string): string {
  const match = new RegExp(`<${root}(?=[\\s>/])[^>]*>`).exec(xml);
  if (!match) throw new Error(`feed rendering: root element <${root}> not found`);
  return xml.slice(0, match.index) + tag + xml.slice(match.index + match[0].length);
}

/**
 * Cuts a document written with placeholders (so no text can look like markup) into what comes
 * before its `<element>` children, the children (whole lines, indentation and line ends
 * included) and what comes after, which starts with the line `closingLine`. With no children
 * the middle is empty and the cut is at the start of that line.
 * @throws Error when `closingLine` is not found.
 */
export function cutItems(xml: string, element: string, closingLine: string): [string, string, string] {
  const close = xml.lastIndexOf(`\n${closingLine}`) + 1;
  if (close === 0) throw new Error(`feed rendering: ${closingLine.trim()} not found`);
  const first = xml.indexOf(`<${element}>`);
  const open = first < 0 || first > close ? close : xml.lastIndexOf('\n', first) + 1;
  return [xml.slice(0, open), xml.slice(open, close), xml.slice(close)];
}

/**
 * Splits the children `cutItems` gave into one string per `<element>`, each from the start of
 * its line (placeholders keep any text from looking like markup).
 */
export function splitItems(children: string, element: string): string[] {
  const starts: number[] = [];
  for (let at = children.indexOf(`<${element}>`); at >= 0; at = children.indexOf(`<${element}>`, at + 1)) {
    starts.push(children.lastIndexOf('\n', at) + 1);
  }
  return starts.map((start, index) => children.slice(start, starts[index + 1] ?? children.length));
}
