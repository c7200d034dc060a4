/** An answers file: the questions' ids as YAML keys, with the line of each, for errors that point at it. */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, type Node } from 'yaml';
import { InputError } from '../errors.ts';
import type { SourcePos } from '../inventory/types.ts';
import { closest } from '../inventory/suggest.ts';
import { parseYamlSource } from '../inventory/yaml-source.ts';

export interface Answers {
  file: string;
  values: Record<string, unknown>;
  positions: Record<string, SourcePos>;
}

/** Reads and checks an answers file: a mapping whose keys are all among `known` (an unknown one is an error). */
export function loadAnswers(file: string, known: readonly string[]): Answers {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new InputError('answers file not found', { file }, 'pass an existing file to --answers (see inventory/answers.example.yml)');
  }
  return parseAnswers(text, file, known);
}

export function parseAnswers(text: string, file: string, known: readonly string[]): Answers {
  const { doc, posOf } = parseYamlSource(text, file);
  const out: Answers = { file, values: {}, positions: {} };
  const root = doc.contents;
  if (root == null || (isScalar(root) && root.value == null)) return out;
  if (!isMap(root)) throw new InputError('the answers file must be a mapping of question names to answers', posOf(root), 'write one "name: value" per line (see inventory/answers.example.yml)');
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    if (!known.includes(key)) {
      const hint = closest(key, [...known]);
      throw new InputError(
        `unknown answer "${key}"`,
        posOf(pair.key),
        hint ? `did you mean "${hint}"? (every answer is listed in inventory/answers.example.yml)` : 'remove it; every answer is listed in inventory/answers.example.yml',
      );
    }
    const value = (pair.value as Node | null)?.toJSON?.() ?? (isScalar(pair.value) ? pair.value.value : pair.value);
    // "key:" with nothing after it means "take the default", as leaving the key out does.
    if (value === null || value === undefined) continue;
    out.values[key] = value;
    out.positions[key] = posOf(pair.value ?? pair.key);
  }
  return out;
}
