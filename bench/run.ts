/**
 * npm run bench — how long reruns take, against the lab, and how that compares with Ansible (issue 10).
 * Usage: npm run bench -- [--runs N] [--only ours|ansible] [--json] [--host services] [--inventory inventory/lab.yml] [--up]
 * See the README's "Benchmark" section for what it measures and how "first converge" is made.
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnCollect } from '../lib/connectors/process.ts';
import { connectorFor } from '../lib/runner/connect.ts';
import { parseCli } from '../lib/cli/args.ts';
import { loadEnvFile } from '../lib/inventory/env-file.ts';
import { loadInventory } from '../lib/inventory/load.ts';
import { buildSchema } from '../lib/inventory/schema.ts';
import { planRun } from '../lib/runner/plan.ts';
import { allRoles } from '../roles/index.ts';
import { base } from '../roles/base/index.ts';
import { hardening } from '../roles/hardening/index.ts';
import { defaultLabConfig, down, isRunning, up } from '../test/lab/lab.ts';
import {
  ansibleChangedTasks,
  ansibleInventory,
  ansibleRecap,
  changedSteps,
  formatTable,
  hostCounters,
  measure,
  runChanged,
  runEnd,
  TARGET_SPEEDUP,
  totalChanged,
  type BenchResult,
} from './lib.ts';
import { RESET_SCRIPT } from './reset.ts';

const root = resolve(new URL('..', import.meta.url).pathname);
const resultsDir = join(root, 'bench', 'results');
const ansibleDir = join(root, 'bench', 'ansible');

const HELP = `Usage: npm run bench -- [options]

Against the running lab (npx zx playbooks/lab.ts up), times:
  (a) a first converge of roles base and hardening on --host (each run starts from a reset: see the README)
  (b) a no-change rerun: of base + hardening on --host (compared with Ansible), and of the whole site
  (c) --check of the whole site
and the same work in Ansible (bench/ansible/site.yml, Debian's ansible package): (a) and (b), against the same host.
Medians of --runs runs; the connector's counters (connections, commands, round trips per role and host) of a whole-site
rerun. Prints a table (or, with --json, the JSON) and writes bench/results/latest.json.

Options:
  --runs <n>            runs of each measurement (default 5)
  --only ours|ansible   measure only one side (no ratios)
  --host <name>         the host for (a) and Ansible (default services: not Proxmox, all of hardening applies)
  --inventory <file>    default inventory/lab.yml (written by the lab's up)
  --secrets <file>      the .env of the run (default the harness's /var/lib/media-server-home/lab/lab.env)
  --skip-first          leave out (a) (its resets purge packages: the longest part)
  --skip-site           leave out the whole-site parts of (b) and (c) (a lab without Docker or ZFS disks, e.g. nspawn hosts)
  --up                  start the lab if it is not up, and stop it at the end if this run started it
  --json                print the JSON result instead of the table
  -h, --help            this help

Exit codes: 0 done and targets met, 1 a run failed, 2 lab not up or bad usage, 3 a target was missed.`;

const log = (line: string) => process.stderr.write(`${line}\n`);

function options() {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: {
      runs: { type: 'string', default: '5' },
      only: { type: 'string' },
      host: { type: 'string', default: 'services' },
      inventory: { type: 'string', default: 'inventory/lab.yml' },
      secrets: { type: 'string', default: join(defaultLabConfig.stateDir, 'lab.env') },
      'skip-first': { type: 'boolean', default: false },
      'skip-site': { type: 'boolean', default: false },
      up: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs ${values.runs}: not a whole number ≥ 1`);
  if (values.only !== undefined && !['ours', 'ansible'].includes(values.only)) throw new Error(`--only ${values.only}: use ours or ansible`);
  return { ...values, runs, only: values.only as 'ours' | 'ansible' | undefined };
}

class RunFailed extends Error {}

/** Runs a command from the repo root and returns its wall-clock seconds and output; a non-zero exit is a failure. */
async function timed(what: string, file: string, args: string[], env: Record<string, string> = {}) {
  const t0 = process.hrtime.bigint();
  const res = await spawnCollect(file, args, { env: { ...process.env, CI: 'true', NO_COLOR: '1', ...env }, timeoutMs: 60 * 60_000 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (res.code !== 0) {
    const tail = `${res.stdout}\n${res.stderr}`.trim().split('\n').slice(-15).join('\n');
    throw new RunFailed(`${what} failed (exit ${res.code}):\n${tail}`);
  }
  log(`  ${what}: ${seconds.toFixed(1)} s`);
  return { seconds, stdout: res.stdout };
}

async function main(): Promise<number> {
  let o;
  try {
    o = options();
  } catch (e) {
    log(`error: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (o.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }

  // The lab: up the way test/lab sees it (every host's container or VM runs) and its inventory written.
  const labUp = () => defaultLabConfig.hosts.every((h) => isRunning(h.name));
  let startedLab = false;
  if (labUp() && !existsSync(o.inventory)) {
    log(`The lab is up, but there is no ${o.inventory}: it is written by \`npx zx playbooks/lab.ts up\` in the checkout that started the lab (pass --inventory <that file>).`);
    return 2;
  }
  if (!labUp()) {
    if (!o.up) {
      log(`The lab is not up. Start it, then rerun the bench:\n  npx zx playbooks/lab.ts up\n  npx zx playbooks/site.ts -i inventory/lab.yml --skip-tags tailscale   # converge once\nor: npm run bench -- --up (starts it, converges, and stops it at the end).`);
      return 2;
    }
    log('lab: starting (npx zx playbooks/lab.ts up)…');
    await up({ log: (l) => log(`  ${l}`) });
    startedLab = true;
  }

  try {
    return await bench(o, startedLab);
  } finally {
    if (startedLab) {
      log('lab: stopping (this run started it)…');
      await down({ log: (l) => log(`  ${l}`) });
    }
  }
}

async function bench(o: ReturnType<typeof options>, freshLab: boolean): Promise<number> {
  mkdirSync(join(resultsDir, 'logs'), { recursive: true });
  const logDir = join(resultsDir, 'logs');
  const inv = o.inventory;
  const site = ['zx', 'playbooks/site.ts', '-i', inv, '--secrets', o.secrets, '--skip-tags', 'tailscale', '--json', '--log-dir', logDir];
  const sameRoles = ['zx', 'playbooks/site.ts', '-i', inv, '--secrets', o.secrets, '--tags', 'base,hardening', '--limit', o.host, '--json', '--log-dir', logDir];
  const ours = o.only !== 'ansible';
  const ansible = o.only !== 'ours';

  // The host, its connection and the role variables, as our runner resolves them.
  const cli = parseCli(['-i', inv, '--secrets', o.secrets, '--limit', o.host]);
  const inventory = loadInventory(inv, buildSchema(allRoles));
  const [plan] = planRun(inventory, [base, hardening], loadEnvFile(cli.envFile), cli);
  if (!plan) throw new Error(`host ${o.host} is not in ${inv}`);
  const connection = { ...plan.connection };
  if (typeof connection.ansible_ssh_private_key_file === 'string') connection.ansible_ssh_private_key_file = resolve(connection.ansible_ssh_private_key_file);
  const knownHosts = typeof connection.msh_known_hosts_file === 'string' ? resolve(connection.msh_known_hosts_file) : undefined;
  const roleVars = Object.assign({}, ...plan.roles.map((r) => r.vars)) as Record<string, unknown>;
  const ansibleInv = join(resultsDir, 'ansible-inventory.yml');
  writeFileSync(ansibleInv, ansibleInventory(o.host, connection, roleVars, knownHosts));
  const ansibleEnv = { ANSIBLE_CONFIG: join(ansibleDir, 'ansible.cfg'), ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0' };
  const ansiblePlay = () => timed('ansible-playbook site.yml', 'ansible-playbook', ['-i', ansibleInv, join(ansibleDir, 'site.yml')], ansibleEnv);

  const lab = defaultLabConfig.hosts.map((h) => `${h.name} ${h.kind === 'vm' ? 'VM (qemu TCG)' : 'container (systemd-nspawn)'}`).join(', ');
  const result: BenchResult = { time: new Date().toISOString(), host: o.host, runs: o.runs, lab };
  if (ours) result.ours = {};
  if (ansible) {
    const v = await spawnCollect('ansible-playbook', ['--version']).catch(() => undefined);
    if (!v || v.code !== 0) {
      log('ansible-playbook is not installed: apt-get install ansible (Debian\'s package), or run with --only ours');
      return 2;
    }
    result.ansible = { version: v.stdout.split('\n')[0]!.trim() };
  }

  const reset = async () => {
    const conn = connectorFor(plan.host.name, plan.connection);
    try {
      const t0 = Date.now();
      const res = await conn.run(RESET_SCRIPT, { timeoutMs: 15 * 60_000 });
      if (res.code !== 0) throw new RunFailed(`resetting ${o.host} failed (exit ${res.code}): ${res.stderr.trim().split('\n').slice(-5).join('\n')}`);
      log(`  reset of ${o.host} (not timed): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } finally {
      await conn.close();
    }
  };

  try {
    if (freshLab && ours) {
      log('converging the fresh lab once (not timed)…');
      await timed('site converge', 'npx', site);
    }

    // (a) first converge: each run starts from a reset of what base and hardening make.
    if (!o['skip-first']) {
      log(`(a) first converge of base + hardening on ${o.host}, ${o.runs} runs`);
      const oursRuns: number[] = [];
      const ansibleRuns: number[] = [];
      for (let i = 0; i < o.runs; i++) {
        if (ours) {
          await reset();
          oursRuns.push((await timed(`ours ${i + 1}`, 'npx', sameRoles)).seconds);
        }
        if (ansible) {
          await reset();
          ansibleRuns.push((await ansiblePlay()).seconds);
        }
      }
      if (ours) result.ours!.firstConverge = measure(oursRuns);
      if (ansible) result.ansible!.firstConverge = measure(ansibleRuns);
      if (ours && ansible) {
        // Ansible converged last: what does ours still find to change? (0: the two leave the host the same.)
        const { stdout } = await timed('ours after Ansible (not timed)', 'npx', sameRoles);
        result.ours!.changesAfterAnsible = runChanged(stdout);
        result.ours!.changedAfterAnsible = changedSteps(stdout);
      } else if (ansible) {
        await reset();
        await timed('ours, back to our state (not timed)', 'npx', sameRoles);
      }
    }

    // (b) no-change reruns.
    if (ansible) {
      log(`(b) Ansible: no-change rerun of site.yml on ${o.host}, ${o.runs} runs`);
      const runs: number[] = [];
      const changed: number[] = [];
      for (let i = 0; i < o.runs; i++) {
        const r = await ansiblePlay();
        runs.push(r.seconds);
        changed.push(totalChanged(ansibleRecap(r.stdout)));
        if (i === 0) result.ansible!.changedTasksOnRerun = ansibleChangedTasks(r.stdout);
      }
      result.ansible!.rerun = measure(runs);
      result.ansible!.changedOnRerun = changed;
    }
    if (ours) {
      log(`(b) ours: no-change rerun of base + hardening on ${o.host}, ${o.runs} runs`);
      const same: number[] = [];
      for (let i = 0; i < o.runs; i++) {
        const r = await timed(`ours ${i + 1}`, 'npx', sameRoles);
        same.push(r.seconds);
        if (i === 0 && ansible && result.ours!.changesAfterAnsible === undefined) {
          // Without (a), Ansible's reruns just ran on this host: what does ours find to change after them?
          result.ours!.changesAfterAnsible = runChanged(r.stdout);
          result.ours!.changedAfterAnsible = changedSteps(r.stdout);
        }
      }
      result.ours!.rerunSameRoles = measure(same);

    }
    if (ours && !o['skip-site']) {
      log(`(b) ours: no-change rerun of the whole site, ${o.runs} runs`);
      const runs: number[] = [];
      for (let i = 0; i < o.runs; i++) {
        const r = await timed(`site ${i + 1}`, 'npx', site);
        runs.push(r.seconds);
        const end = runEnd(r.stdout);
        const changed = end ? totalChanged(end.recap) : -1;
        if (changed !== 0) log(`  warning: this "no-change" rerun changed ${changed} step(s):\n    ${changedSteps(r.stdout).join('\n    ')}`);
        if (end && i === o.runs - 1) result.ours!.counters = hostCounters(end.recap);
      }
      result.ours!.rerunSite = measure(runs);

      log(`(c) ours: --check of the whole site, ${o.runs} runs`);
      const checks: number[] = [];
      for (let i = 0; i < o.runs; i++) checks.push((await timed(`check ${i + 1}`, 'npx', [...site, '--check'])).seconds);
      result.ours!.checkSite = measure(checks);
    }
  } catch (e) {
    if (!(e instanceof RunFailed)) throw e;
    log(`error: ${e.message}`);
    writeResult(result, o.json);
    return 1;
  }

  if (ours && ansible) {
    const ratio = (a?: number, b?: number) => (a !== undefined && b ? a / b : undefined);
    result.ratios = { firstConverge: ratio(result.ansible!.firstConverge?.median, result.ours!.firstConverge?.median), rerun: ratio(result.ansible!.rerun?.median, result.ours!.rerunSameRoles?.median) };
  }
  result.targets = {
    roundTripsPerRole: result.ours?.counters ? result.ours.counters.every((c) => c.meetsTarget) : undefined,
    speedup: result.ratios?.rerun !== undefined ? result.ratios.rerun >= TARGET_SPEEDUP : undefined,
  };
  writeResult(result, o.json);
  return result.targets.roundTripsPerRole === false || result.targets.speedup === false ? 3 : 0;
}

function writeResult(result: BenchResult, json: boolean): void {
  const text = `${JSON.stringify(result, null, 2)}\n`;
  writeFileSync(join(resultsDir, 'latest.json'), text);
  process.stdout.write(json ? text : `${formatTable(result)}\n\nJSON: ${join('bench', 'results', 'latest.json')}\n`);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error) => {
    log(`error: ${e.stack ?? e.message}`);
    process.exitCode = 1;
  },
);
