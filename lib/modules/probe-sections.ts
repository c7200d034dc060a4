/** Probes that print several things mark each with a line "@@name [value]"; this splits their output back. */
export function sections(stdout: string): Map<string, { value: string; body: string }> {
  const found = new Map<string, { value: string; lines: string[] }>();
  let current: { value: string; lines: string[] } | undefined;
  for (const line of stdout.split('\n')) {
    const m = /^@@([a-z-]+)(?: (.*))?$/.exec(line);
    if (m) {
      current = { value: m[2] ?? '', lines: [] };
      found.set(m[1]!, current);
    } else current?.lines.push(line);
  }
  return new Map([...found].map(([k, v]) => [k, { value: v.value, body: v.lines.join('\n') }]));
}
