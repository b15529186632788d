/** Entry: the feeds worker role alone (`syndicate worker feeds`). */
import { main } from '../src/cli/syndicate.js';

process.exitCode = await main(['worker', 'feeds']);
