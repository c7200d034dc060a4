/** ANSI colours, off when the output is not a terminal, NO_COLOR is set, or CI=true. */
const enabled = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.CI !== 'true';

const wrap = (code: number) => (s: string) => (enabled ? `\x1b[${code}m${s}\x1b[0m` : s);

export const style = {
  green: wrap(32),
  yellow: wrap(33),
  red: wrap(31),
  cyan: wrap(36),
  dim: wrap(2),
  bold: wrap(1),
};

export function colourDiff(diff: string): string {
  return diff
    .split('\n')
    .map((l) => (l.startsWith('+') && !l.startsWith('+++') ? style.green(l) : l.startsWith('-') && !l.startsWith('---') ? style.red(l) : l.startsWith('@@') ? style.cyan(l) : l))
    .join('\n');
}
