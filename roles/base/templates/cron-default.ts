/** /etc/default/cron: Debian's cron reads EXTRA_OPTS from here (both its systemd unit and its init script). */
export function cronDefaults(v: { logLevel: number }): string {
  return `# Managed by media-server-home (role base). Local edits are overwritten.
# -L: what cron logs (1 = start of jobs, 2 = end of jobs, 4 = failed jobs, 8 = PIDs; add them up).
EXTRA_OPTS="-L ${v.logLevel}"
`;
}
