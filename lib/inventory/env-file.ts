import { readFileSync, statSync } from 'node:fs';
import { parse } from 'dotenv';
import { InputError } from '../errors.ts';
import { registerSecret } from '../redact.ts';

export interface EnvFile {
  file: string;
  /** False when the file does not exist (a run that needs no secret does not need one). */
  exists: boolean;
  values: Record<string, string>;
}

const LINE = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=/;

/** Loads .env (secrets only), refusing a file others can read; every value is registered for redaction. */
export function loadEnvFile(file: string): EnvFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { file, exists: false, values: {} };
  }
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) {
    throw new InputError(`holds secrets but its mode is ${mode.toString(8).padStart(4, '0')} (readable by others)`, { file }, `chmod 600 ${file}`);
  }
  let inQuoted = false;
  text.split('\n').forEach((line, i) => {
    const trimmed = line.trim();
    if (inQuoted) {
      if (/"\s*$/.test(trimmed)) inQuoted = false;
      return;
    }
    if (trimmed === '' || trimmed.startsWith('#')) return;
    if (!LINE.test(line)) {
      throw new InputError(`line is not NAME=value`, { file, line: i + 1, column: 1 }, 'write secrets as NAME=value, one per line (quote values with spaces)');
    }
    const value = line.slice(line.indexOf('=') + 1).trim();
    if (value.startsWith('"') && !/^".*"\s*(#.*)?$/.test(value)) inQuoted = true;
  });
  const values = parse(text);
  for (const v of Object.values(values)) registerSecret(v);
  return { file, exists: true, values };
}
