/**
 * Post templates (`X_TEMPLATE`, `MASTODON_TEMPLATE`…): `{title}`, `{url}`, `{hashtags}`,
 * `{summary}` replaced in one pass (a title containing "{url}" stays text), white space
 * collapsed, and a line that only held empty placeholders dropped rather than left blank.
 * Bluesky keeps its own (bluesky/template.ts): it must know where the link and tags land.
 */

/** The values a template may name. */
export interface PostTemplateValues {
  title: string;
  url: string;
  hashtags: string;
  summary: string;
}

const PLACEHOLDERS = /\{(title|url|hashtags|summary)\}/g;

/** True when `template` names `placeholder` (e.g. `'url'`). */
export function templateUses(template: string, placeholder: keyof PostTemplateValues): boolean {
  return template.includes(`{${placeholder}}`);
}

/** Fills `template`; unknown `{names}` stay as written. Pure. */
export function renderPostTemplate(template: string, values: PostTemplateValues): string {
  const lines: string[] = [];
  for (const line of template.split(/\r\n|\r|\n/)) {
    let named = false;
    const filled = line
      .replace(PLACEHOLDERS, (_, name: keyof PostTemplateValues) => {
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
