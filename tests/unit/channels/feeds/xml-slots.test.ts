import fc from 'fast-check';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import {
  addRootAttributes,
  cdata,
  escapeAttribute,
  escapeText,
  insertAfterElement,
  XmlSlots,
} from '../../../../src/channels/feeds/xml-slots.js';
import { cleanText } from '../../../../src/domain/text.js';
import { expectWellFormedXml, hostileText } from './feed-test-kit.js';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  // Despite its name, this is what makes fast-xml-parser decode numeric character references.
  htmlEntities: true,
});

/** Parses `<r a="…">…</r>` and returns the attribute and the text as an XML parser sees them. */
function readBack(xml: string): { attribute: string; text: string } {
  const root = (parser.parse(xml) as { r: { a: string; '#text'?: string } | string }).r;
  if (typeof root === 'string') throw new Error('expected an attribute');
  return { attribute: root.a, text: root['#text'] ?? '' };
}

describe('escaping', () => {
  it('round-trips any clean text through an attribute, element text and CDATA', () => {
    fc.assert(
      fc.property(hostileText, (raw) => {
        const text = cleanText(raw);
        const xml = `<r a="${escapeAttribute(text)}">${escapeText(text)}</r>`;
        expectWellFormedXml(xml);
        expect(readBack(xml)).toEqual({ attribute: text, text });
        const inCdata = `<r a="">${cdata(text)}</r>`;
        expectWellFormedXml(inCdata);
        expect(readBack(inCdata).text).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps TAB, LF and CR in attributes, which attribute normalisation would turn into spaces', () => {
    expect(escapeAttribute('a\tb\nc\rd')).toBe('a&#9;b&#10;c&#13;d');
  });

  it('splits every "]]>" in a CDATA section, not only the first', () => {
    expect(cdata('a]]>b]]>c')).toBe('<![CDATA[a]]]]><![CDATA[>b]]]]><![CDATA[>c]]>');
  });
});

describe('XmlSlots', () => {
  it('fills placeholders in CDATA, attributes and text, each escaped for its place', () => {
    const slots = new XmlSlots();
    const a = slots.slot('x & "y" <z>');
    const b = slots.slot('p ]]> q');
    const c = slots.slot('m & n');
    const xml = slots.fill(`<r a="${a}"><![CDATA[${b}]]><s>${c}</s></r>`);
    expect(xml).toBe('<r a="x &amp; &quot;y&quot; &lt;z&gt;"><![CDATA[p ]]]]><![CDATA[> q]]><s>m &amp; n</s></r>');
  });

  it('removes XML-forbidden characters from every value', () => {
    const slots = new XmlSlots();
    expect(slots.fill(`<r>${slots.slot('a\u0000b\uFFFFc\uD800')}</r>`)).toBe('<r>abc\uFFFD</r>');
  });

  it('gives no placeholder for absent or empty values', () => {
    const slots = new XmlSlots();
    expect(slots.optionalSlot(undefined)).toBeUndefined();
    expect(slots.optionalSlot('')).toBeUndefined();
  });

  it('refuses to return XML with a placeholder it does not know', () => {
    expect(() => new XmlSlots().fill('<r>\uFFFF7\uFFFF</r>')).toThrow(/unknown feed placeholder/);
  });
});

describe('markup edits', () => {
  it('inserts siblings after the anchored element at its indentation', () => {
    const xml = '<a>\n    <link href="ANCHOR" rel="self"/>\n</a>';
    expect(insertAfterElement(xml, 'ANCHOR', ['<x/>', '<y/>'])).toBe('<a>\n    <link href="ANCHOR" rel="self"/>\n    <x/>\n    <y/>\n</a>');
  });

  it('fails loudly when an anchor or expected markup is missing or repeated', () => {
    expect(() => insertAfterElement('<a/>', 'ANCHOR', [])).toThrow();
    expect(() => insertAfterElement('<a b="ANCHOR" c="ANCHOR"/>', 'ANCHOR', [])).toThrow();
    expect(() => addRootAttributes('<feed/>', 'rss', {})).toThrow();
  });

  it('adds root attributes the root does not declare yet', () => {
    const xml = '<?xml version="1.0"?>\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel/></rss>';
    expect(addRootAttributes(xml, 'rss', { 'xmlns:dc': 'other', 'xmlns:media': 'http://search.yahoo.com/mrss/' })).toBe(
      '<?xml version="1.0"?>\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/">\n<channel/></rss>',
    );
  });
});
