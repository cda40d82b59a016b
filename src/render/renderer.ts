import path from 'node:path';
import nunjucks from 'nunjucks';

/**
 * Renders one user-facing message. `key` is a path under `templates/` without the `.njk`
 * extension, e.g. `chat/fallback`. Every sentence the assistant says comes through here.
 */
export type Render = (key: string, vars?: Record<string, unknown>) => string;

/** Plain-text messages (chat, SMS, e-mail bodies): no HTML escaping, surrounding space trimmed. */
export function createTextRenderer(templatesDir: string): Render {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(templatesDir, { noCache: false }), {
    autoescape: false,
    throwOnUndefined: false,
    trimBlocks: true,
    lstripBlocks: true,
  });
  return (key, vars = {}) => env.render(`${key}.njk`, vars).trim();
}

/** HTML pages (web chat, reset page, agent console): autoescaped. */
export function createPageEnvironment(templatesDir: string): nunjucks.Environment {
  return new nunjucks.Environment(new nunjucks.FileSystemLoader(path.join(templatesDir), { noCache: false }), {
    autoescape: true,
    throwOnUndefined: false,
    trimBlocks: true,
    lstripBlocks: true,
  });
}
