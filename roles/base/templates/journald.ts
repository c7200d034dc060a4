/** A journald drop-in capping the journal on the system disk. */
export function journaldDropIn(v: { maxUse: string }): string {
  return `# Managed by media-server-home (role base).
[Journal]
SystemMaxUse=${v.maxUse}
`;
}
