import { stringify } from 'yaml';
import type { ComposeFile } from './types.ts';

const NAME = '[A-Za-z_][A-Za-z0-9_]*';

/** `${NAME}`: a value Compose takes from the project's .env (or the environment) when it loads the file. */
export function envRef(name: string): string {
  if (!new RegExp(`^${NAME}$`).test(name)) throw new Error(`"${name}" is not a valid variable name`);
  return `\${${name}}`;
}

/** Names of the variables a Compose text interpolates (`${NAME}` and `$NAME`; `$$` is a literal dollar). */
export function referencedVariables(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(new RegExp(`\\$\\$|\\$\\{(${NAME})[^}]*\\}|\\$(${NAME})`, 'g'))) {
    const name = m[1] ?? m[2];
    if (name) names.add(name);
  }
  return [...names].sort();
}

/**
 * The Compose file as YAML, keys in model order, long lines never folded. Refuses a `$` that Compose would read as
 * something other than a plain `${NAME}` reference or a `$$` literal: a model value is never interpolated by accident.
 */
export function renderCompose(file: ComposeFile): string {
  // YAML 1.1 rules quote every string an older reader could take for something else (1000:1000, yes, on).
  const text = stringify(file, { lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' });
  for (const m of text.matchAll(new RegExp(`\\$\\$|\\$\\{${NAME}\\}|\\$`, 'g'))) {
    if (m[0] !== '$') continue;
    const line = text.slice(0, m.index).split('\n').length;
    throw new Error(`compose model line ${line} has a "$" that is not a \${NAME} reference: write a literal dollar as $$`);
  }
  return `# Written by media-server-home: changes made here are replaced on the next run.\n${text}`;
}
