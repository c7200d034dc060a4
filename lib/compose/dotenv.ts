import { parse } from 'dotenv';

/** A value Compose's .env reader takes as is, unquoted. */
const BARE = /^[A-Za-z0-9_.,:\/@+%-]*$/;

/**
 * A .env file for Compose: a header comment, then KEY=VALUE lines in the given order. Values outside the plain
 * character set are single-quoted (taken literally, no interpolation); a value with a newline or a quote is refused.
 */
export function renderDotenv(header: string[], entries: [string, string][]): string {
  const lines = header.map((h) => `# ${h}`);
  for (const [key, value] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`.env: "${key}" is not a valid variable name`);
    if (/[\n\r']/.test(value)) throw new Error(`.env: the value of ${key} contains a newline or a quote`);
    lines.push(`${key}=${BARE.test(value) ? value : `'${value}'`}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The variables of a .env text (comments and blank lines ignored). */
export function parseDotenv(text: string): Record<string, string> {
  return parse(text);
}
