/** Quotes a string for POSIX sh: the one place where values become shell words. */
export function shq(value: string | number): string {
  const s = String(value);
  if (s !== '' && /^[A-Za-z0-9_\/.,:=@%+-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Joins words into a command line, quoting each. */
export function cmd(...words: (string | number)[]): string {
  return words.map(shq).join(' ');
}
