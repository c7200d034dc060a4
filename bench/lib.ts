/** The bench's pure parts (tested in test/bench/bench-lib.test.ts): statistics, reading the runs' output, the table. */
import type { HostRecap, RunEvent } from '../lib/runner/events.ts';

export const TARGET_ROUND_TRIPS_PER_ROLE = 2;
export const TARGET_SPEEDUP = 5;

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The run-end recap of a playbook run's --json output (undefined when the run did not get that far). */
/** The steps (ours) or tasks (Ansible) changed over all hosts of a recap. */
export function totalChanged(recap: readonly { changed: number }[]): number {
  return recap.reduce((n, r) => n + r.changed, 0);
}

/** What our run (its --json lines) changed over all hosts; undefined when it did not get to the end. */
export function runChanged(stdout: string): number | undefined {
  const end = runEnd(stdout);
  return end && totalChanged(end.recap);
}

export function runEnd(stdout: string): Extract<RunEvent, { type: 'run-end' }> | undefined {
  return runEvents(stdout).reverse().find((e): e is Extract<RunEvent, { type: 'run-end' }> => e.type === 'run-end');
}

/** The events of a playbook run's --json output (other lines skipped). */
function runEvents(stdout: string): RunEvent[] {
  return stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as RunEvent);
}

/** "role: step — what changed" of every step a playbook run's --json output reports changed. */
export function changedSteps(stdout: string): string[] {
  const out: string[] = [];
  for (const e of runEvents(stdout)) {
    if (e.type === 'step' && e.status === 'changed') out.push(`${e.host} ${e.role}: ${e.title}${e.message ? ` — ${e.message}` : ''}`);
    if (e.type === 'handler' && e.status === 'changed') out.push(`${e.host} ${e.role}: handler ${e.name}`);
  }
  return out;
}

/** The tasks (and handlers) ansible-playbook's default output reports "changed" on a host. */
export function ansibleChangedTasks(stdout: string): string[] {
  const out: string[] = [];
  let task = '';
  for (const line of stdout.split('\n')) {
    const t = /^(?:TASK|RUNNING HANDLER) \[(.+)\] \**$/.exec(line.trim());
    if (t) task = t[1]!;
    else if (/^changed: \[/.test(line) && task) out.push(`${/\[(.+?)\]/.exec(line)![1]} ${task}${/=> \(item=/.test(line) ? ` (${line.slice(line.indexOf('(item=') + 6, line.lastIndexOf(')'))})` : ''}`);
  }
  return out;
}

export interface AnsibleRecap {
  host: string;
  ok: number;
  changed: number;
  failed: number;
  unreachable: number;
}

/** The PLAY RECAP lines of ansible-playbook's default output. */
export function ansibleRecap(stdout: string): AnsibleRecap[] {
  const at = stdout.lastIndexOf('PLAY RECAP');
  if (at < 0) return [];
  const out: AnsibleRecap[] = [];
  for (const line of stdout.slice(at).split('\n').slice(1)) {
    const m = /^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/.exec(line.trim());
    if (m) out.push({ host: m[1]!, ok: Number(m[2]), changed: Number(m[3]), unreachable: Number(m[4]), failed: Number(m[5]) });
  }
  return out;
}

export interface HostCounters {
  host: string;
  connections: number;
  commands: number;
  roundTrips: number;
  /** Connecting, the sudo check and the facts: once per host and run. */
  setupRoundTrips: number;
  roles: { role: string; roundTrips: number; commands: number }[];
  maxRoundTripsPerRole: number;
  /** Every role within TARGET_ROUND_TRIPS_PER_ROLE (setup not included: it is once per host, not per role). */
  meetsTarget: boolean;
}

export function hostCounters(recap: HostRecap[]): HostCounters[] {
  return recap.map((r) => {
    const roles = r.roles.map((c) => ({ role: c.role, roundTrips: c.roundTrips, commands: c.commands }));
    const max = Math.max(0, ...roles.map((c) => c.roundTrips));
    return { host: r.host, connections: r.connections, commands: r.commands, roundTrips: r.roundTrips, setupRoundTrips: r.setup.roundTrips, roles, maxRoundTripsPerRole: max, meetsTarget: max <= TARGET_ROUND_TRIPS_PER_ROLE };
  });
}

export interface Measure {
  /** Wall-clock seconds of each run (the whole process: what the user waits for). */
  runs: number[];
  median: number;
}

export const measure = (runs: number[]): Measure => ({ runs, median: median(runs) });

export interface BenchResult {
  time: string;
  host: string;
  runs: number;
  /** What the lab's hosts were: the same tool is ~10× slower in a TCG VM than in a container. */
  lab?: string;
  ours?: {
    firstConverge?: Measure;
    rerunSameRoles?: Measure;
    rerunSite?: Measure;
    checkSite?: Measure;
    counters?: HostCounters[];
    /** Changes our rerun found right after Ansible's converge: 0 means Ansible left the host exactly as we would. */
    changesAfterAnsible?: number;
    /** Those changes, one line each (host role: step — what). */
    changedAfterAnsible?: string[];
  };
  ansible?: {
    version: string;
    firstConverge?: Measure;
    rerun?: Measure;
    /** changed= of Ansible's reruns on the host we converged: 0 means it agrees with our state. */
    changedOnRerun?: number[];
    /** The tasks Ansible's first rerun on our state changed. */
    changedTasksOnRerun?: string[];
  };
  ratios?: { firstConverge?: number; rerun?: number };
  targets?: { roundTripsPerRole: boolean | undefined; speedup: boolean | undefined };
}

const f = (x: number | undefined, unit = 's') => (x === undefined || Number.isNaN(x) ? '—' : `${x.toFixed(1)}${unit}`);

/** The human table. */
export function formatTable(r: BenchResult): string {
  const rows: [string, string, string, string][] = [['', 'ours (median)', 'Ansible (median)', 'Ansible / ours']];
  rows.push([`(a) first converge, base + hardening on ${r.host}`, f(r.ours?.firstConverge?.median), f(r.ansible?.firstConverge?.median), f(r.ratios?.firstConverge, '×')]);
  rows.push([`(b) no-change rerun, base + hardening on ${r.host}`, f(r.ours?.rerunSameRoles?.median), f(r.ansible?.rerun?.median), f(r.ratios?.rerun, '×')]);
  rows.push(['(b) no-change rerun, whole site', f(r.ours?.rerunSite?.median), '', '']);
  rows.push(['(c) --check, whole site', f(r.ours?.checkSite?.median), '', '']);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
  const out = [`Benchmark (${r.runs} runs each, wall-clock seconds; ${r.time}${r.lab ? `; lab: ${r.lab}` : ''})`, ...lines, ''];
  if (r.ours?.counters) {
    out.push('Connector counters, no-change rerun of the whole site (one run):');
    const head = ['host', 'connections', 'commands', 'round trips', 'setup', 'max per role', '≤2 per role'];
    const crow = r.ours.counters.map((c) => [c.host, String(c.connections), String(c.commands), String(c.roundTrips), String(c.setupRoundTrips), String(c.maxRoundTripsPerRole), c.meetsTarget ? 'yes' : 'NO']);
    const cw = head.map((h, i) => Math.max(h.length, ...crow.map((x) => x[i]!.length)));
    for (const row of [head, ...crow]) out.push(row.map((c, i) => (i === 0 ? c.padEnd(cw[i]!) : c.padStart(cw[i]!))).join('  '));
    for (const c of r.ours.counters) out.push(`  ${c.host}: ${c.roles.map((x) => `${x.role} ${x.roundTrips}`).join(', ')}`);
    out.push('');
  }
  if (r.targets) {
    const t = (v: boolean | undefined) => (v === undefined ? 'not measured' : v ? 'met' : 'MISSED');
    out.push(`Targets: ≤${TARGET_ROUND_TRIPS_PER_ROLE} round trips per role per host: ${t(r.targets.roundTripsPerRole)}; ≥${TARGET_SPEEDUP}× faster than Ansible on a rerun: ${t(r.targets.speedup)}`);
  }
  if (r.ours?.changesAfterAnsible !== undefined || r.ansible?.changedOnRerun) {
    out.push(`Equivalence: our rerun after Ansible's converge changed ${r.ours?.changesAfterAnsible ?? '—'} step(s); Ansible's reruns on our state reported changed=${r.ansible?.changedOnRerun?.join(',') ?? '—'}`);
    for (const c of r.ours?.changedAfterAnsible ?? []) out.push(`  ours after Ansible: ${c}`);
    for (const c of r.ansible?.changedTasksOnRerun ?? []) out.push(`  Ansible on ours: ${c}`);
  }
  return out.join('\n');
}

/** The Ansible inventory for one host of ours: same address, port, user, key, known_hosts, become, role variables. */
export function ansibleInventory(host: string, connection: Record<string, unknown>, vars: Record<string, unknown>, knownHosts: string | undefined): string {
  const hostVars: Record<string, unknown> = {
    ansible_host: connection.ansible_host ?? host,
    ansible_port: connection.ansible_port ?? 22,
    ansible_user: connection.ansible_user ?? 'root',
    ansible_become: connection.ansible_become === true,
    ...(connection.ansible_ssh_private_key_file ? { ansible_ssh_private_key_file: connection.ansible_ssh_private_key_file } : {}),
    ...(knownHosts ? { ansible_ssh_common_args: `-o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes` } : {}),
    ...vars,
  };
  // JSON is YAML: every value written exactly.
  return `# Generated by bench/run.ts from our inventory; rewritten at every run.\n${JSON.stringify({ all: { hosts: { [host]: hostVars } } }, null, 2)}\n`;
}
