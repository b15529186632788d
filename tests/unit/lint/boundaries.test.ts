/**
 * The import boundaries in eslint.config.js, checked the way `npm run lint` runs them: ESLint's
 * own API over source text placed at the path it would have in the tree.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
}

describe('import boundaries', () => {
  it.each([
    [
      'a pure compose reaching into the queue',
      'src/channels/x/compose.ts',
      "import { Queues } from '../../queue/queues.js';\nexport const q = Queues;\n",
    ],
    [
      'a platform client reaching into the store',
      'src/channels/mastodon/client.ts',
      "import { DeliveryStore } from '../../store/deliveries.js';\nexport const d = DeliveryStore;\n",
    ],
    [
      'a channel importing another channel',
      'src/channels/bluesky/compose.ts',
      "import { composeXPost } from '../x/compose.js';\nexport const c = composeXPost;\n",
    ],
    [
      'the newsletter renderer importing http',
      'src/channels/newsletter/render.ts',
      "import { buildApp } from '../../http/app.js';\nexport const b = buildApp;\n",
    ],
    [
      'domain importing a store',
      'src/domain/article.ts',
      "import { ArticleStore } from '../store/articles.js';\nexport const a = ArticleStore;\n",
    ],
    ['http reaching into the queue', 'src/http/present.ts', "import { fanOut } from '../queue/fan-out.js';\nexport const f = fanOut;\n"],
    [
      'the composition root naming a channel',
      'src/app.ts',
      "import { xModule } from './channels/x/module.js';\nexport const x = xModule;\n",
    ],
  ])('refuses %s', async (_name, filePath, code) => {
    expect(await restrictedImports(filePath, code)).toHaveLength(1);
  });

  it.each([
    [
      'a channel module wiring its queue side',
      'src/channels/feeds/module.ts',
      "import { typedQueue } from '../../queue/jobs.js';\nexport const t = typedQueue;\n",
    ],
    [
      'facebook using the shared Graph client',
      'src/channels/facebook/compose.ts',
      "import { graphOptions } from '../graph/options.js';\nexport const g = graphOptions;\n",
    ],
    [
      'a pure file importing a type it is handed',
      'src/channels/x/image-spec.ts',
      "import type { ImageVariantSpec } from '../../media/image-variant.js';\nexport type S = ImageVariantSpec;\n",
    ],
    [
      'the composition root using the module list',
      'src/app.ts',
      "import { CHANNEL_MODULES } from './channels/modules.js';\nexport const m = CHANNEL_MODULES;\n",
    ],
  ])('allows %s', async (_name, filePath, code) => {
    expect(await restrictedImports(filePath, code)).toEqual([]);
  });
});
