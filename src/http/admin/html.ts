/**
 * A tagged template for HTML that escapes every interpolated value unless it is already
 * {@link SafeHtml}: a page cannot forget to escape an article title or a platform's error text.
 * Named `markup`, not `html`: Prettier reflows templates tagged `html`, putting white space
 * into table cells and badges.
 */
import { escapeHtml } from '../../domain/escape-html.js';

/** Markup that is already safe to place in a document (built by {@link markup} or {@link trusted}). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** What a template may interpolate: text (escaped), numbers, safe markup, lists of them, or nothing. */
export type HtmlValue = SafeHtml | string | number | null | undefined | false | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** `markup\`<p>${text}</p>\``: the literal parts as written, every value escaped (or kept, when SafeHtml). */
export function markup(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let index = 0; index < values.length; index++) out += render(values[index]!) + (strings[index + 1] ?? '');
  return new SafeHtml(out);
}
