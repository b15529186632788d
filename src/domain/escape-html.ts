/**
 * The one HTML escape: for text placed in HTML element content or in a quoted attribute (single
 * or double quotes), whatever the document — an email, a public page, a feed's HTML description.
 */

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '{': '&#123;',
  '}': '&#125;',
};

/**
 * Escapes `& < > " '` so `text` reads as text, and `{` `}` too: template engines that pass over
 * finished HTML (juice keeps `{{…}}` and `<%…%>` as code blocks it does not parse) must never see
 * a block that came from someone's input. Every escape is an entity a browser decodes back.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'{}]/g, (character) => ENTITIES[character] ?? character);
}
