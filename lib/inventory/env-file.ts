import { existsSync, readFileSync, statSync } from 'node:fs';
import { parse } from 'dotenv';
import { InputError } from '../errors.ts';
import { modeOf, octal, writeFileAtomicLocal } from '../local-files.ts';
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

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Adds NAME=value to a .env file (made mode 0600 when it does not exist), atomically: a temp file beside it, then a
 * rename. For secrets a role generates once and the user must keep off the host. Refuses a name the file already sets
 * and a value that would need quoting. The value is registered for redaction first.
 */
export function addEnvValue(file: string, name: string, value: string, comment: string): void {
  if (!ENV_NAME.test(name)) throw new Error(`"${name}" is not an environment variable name`);
  if (!/^[A-Za-z0-9._~+/=-]+$/.test(value)) throw new Error(`the value for ${name} would need quoting: generate it from letters and digits`);
  registerSecret(value);
  let text = '';
  let mode = 0o600;
  if (existsSync(file)) {
    text = readFileSync(file, 'utf8');
    mode = modeOf(file)!;
    if (mode & 0o077) throw new Error(`${file} holds secrets but its mode is ${octal(mode)}: chmod 600 ${file}`);
    if (name in parse(text)) throw new Error(`${file} already sets ${name}`);
  }
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  writeFileAtomicLocal(file, `${text}${sep}# ${comment}\n${name}=${value}\n`, mode);
}
