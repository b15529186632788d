/**
 * `MASTODON_TEMPLATE` rendering: `{title}`, `{url}`, `{hashtags}`, `{summary}` replaced in one
 * pass (a title containing "{url}" stays text), white space collapsed within each line, and a
 * line that only held empty placeholders dropped rather than left blank. Pure.
 */

/** The values a template may name. */
export interface MastodonTemplateValues {
  title: string;
  url: string;
  hashtags: string;
  summary: string;
}

const PLACEHOLDERS = /\{(title|url|hashtags|summary)\}/g;

/** True when `template` names `placeholder` (e.g. `'url'`). */
export function templateUses(template: string, placeholder: keyof MastodonTemplateValues): boolean {
  return template.includes(`{${placeholder}}`);
}

/** Fills `template`; unknown `{names}` stay as written. */
export function renderMastodonTemplate(template: string, values: MastodonTemplateValues): string {
  const lines: string[] = [];
  for (const line of template.split(/\r\n|\r|\n/)) {
    let named = false;
    const filled = line
      .replace(PLACEHOLDERS, (_, name: keyof MastodonTemplateValues) => {
        named = true;
        return values[name];
      })
      .replace(/[^\S\n]+/g, ' ')
      .trim();
    // A blank line the template wrote is layout; one left by empty placeholders is not.
    if (named && filled === '') continue;
    lines.push(filled);
  }
  return lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
