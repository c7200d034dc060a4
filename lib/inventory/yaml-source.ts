/** A YAML file parsed with the position of every node, so that errors name the file, line and column. */
import { LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { InputError } from '../errors.ts';
import type { SourcePos } from './types.ts';

export interface YamlSource {
  doc: Document.Parsed;
  posAt(offset: number): SourcePos;
  posOf(node: unknown): SourcePos;
}

/** Parses `text` (duplicate keys refused); a syntax error is an InputError at its place, with `syntaxFix` as the fix. */
export function parseYamlSource(text: string, file: string, syntaxFix = 'fix the YAML syntax at that place'): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const posAt = (offset: number): SourcePos => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const posOf = (node: unknown): SourcePos => posAt((node as Node | null)?.range?.[0] ?? 0);
  const firstError = doc.errors[0];
  if (firstError) throw new InputError(`invalid YAML: ${firstError.message.split('\n')[0]}`, posAt(firstError.pos[0]), syntaxFix);
  return { doc, posAt, posOf };
}
