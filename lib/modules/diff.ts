import { createTwoFilesPatch } from 'diff';
import { redact } from '../redact.ts';

/** A unified diff of text content, secrets redacted; binary or unknown content is summarised. */
export function contentDiff(path: string, before: Buffer | undefined | null, after: Buffer | string): string {
  const afterBuf = typeof after === 'string' ? Buffer.from(after) : after;
  if (before === undefined) return `--- ${path}\n+++ ${path}\n(current content not shown: larger than the diff limit)\n`;
  const oldText = before ? before.toString('utf8') : '';
  if (isBinary(afterBuf) || (before && isBinary(before))) {
    return `--- ${path}\n+++ ${path}\nBinary content differs (${before?.length ?? 0} → ${afterBuf.length} bytes)\n`;
  }
  const patch = createTwoFilesPatch(before ? path : '/dev/null', path, oldText, afterBuf.toString('utf8'), '', '', { context: 3 });
  // Drop jsdiff's "Index"/"===" preamble: start at the --- line like diff -u.
  return redact(patch.slice(patch.indexOf('---')));
}

function isBinary(b: Buffer): boolean {
  return b.subarray(0, 8000).includes(0);
}
