import { dirname } from 'node:path';
import type { Change, Step } from '../api/step.ts';
import { assertOk } from '../connectors/connector.ts';
import { cmd } from '../connectors/shell.ts';
import { allNodes, parsePoolProbe, poolProbeScript, type DiskProbe, type PoolProbe } from './disks/probe.ts';
import { judgeDisk, wipeNames, type DiskVerdict } from './disks/safety.ts';
import { importability } from './disks/zpool-output.ts';
import { stepMeta, type StepOptions } from './step-options.ts';

/** How the disks are combined: one vdev of this kind over all of them. */
export type PoolLayout = 'single' | 'stripe' | 'mirror' | 'raidz1' | 'raidz2' | 'raidz3';

/** Fewest disks each layout takes (raidz-N with N+1 disks would be a slower mirror). */
export const MIN_DISKS: Record<PoolLayout, number> = { single: 1, stripe: 2, mirror: 2, raidz1: 3, raidz2: 4, raidz3: 5 };

/** What losing disks costs, for the plan. */
const REDUNDANCY: Record<PoolLayout, string> = {
  single: 'NO redundancy: if the disk fails, the pool is lost',
  stripe: 'NO redundancy: if any disk fails, the whole pool is lost',
  mirror: 'survives all but one disk failing',
  raidz1: 'survives one disk failing',
  raidz2: 'survives two disks failing',
  raidz3: 'survives three disks failing',
};

export interface ZfsPoolOptions extends StepOptions {
  name: string;
  layout: PoolLayout;
  /** Disk paths, best /dev/disk/by-id/… (stable across reboots and controllers). */
  disks: string[];
  /** Pool properties at creation (-o), e.g. { ashift: '12' }. */
  poolProperties?: Record<string, string>;
  /** Properties of the pool's root dataset at creation (-O), e.g. { compression: 'lz4', mountpoint: '/mnt/tank' }. */
  filesystemProperties?: Record<string, string>;
  /** This run's --wipe values: the disks it may erase (full path or last part of the path). */
  wipe?: string[];
}

export type PoolPlan =
  | { kind: 'present' }
  | { kind: 'import'; command: string }
  | { kind: 'create'; wipes: Extract<DiskVerdict, { kind: 'wipe' }>[]; command: string }
  | { kind: 'refuse'; problems: string[] };

interface PoolChange extends Change {
  plan: PoolPlan;
}

/** The exact `zpool create` command line. */
export function zpoolCreateCommand(o: Pick<ZfsPoolOptions, 'name' | 'layout' | 'disks' | 'poolProperties' | 'filesystemProperties'>): string {
  const words = ['zpool', 'create'];
  for (const [k, v] of Object.entries(o.poolProperties ?? {})) words.push('-o', `${k}=${v}`);
  for (const [k, v] of Object.entries(o.filesystemProperties ?? {})) words.push('-O', `${k}=${v}`);
  words.push(o.name);
  if (o.layout !== 'single' && o.layout !== 'stripe') words.push(o.layout);
  words.push(...o.disks);
  return cmd(...words);
}

/**
 * A ZFS pool made of these disks. An imported pool of that name is adopted when the disks are among its devices; an
 * exported one on these disks is imported; a pool of that name on other disks is reported and left alone. Only when
 * there is none is it created — from blank disks, or from disks this run names with --wipe (confirmed, then wiped).
 */
export function zfsPool(o: ZfsPoolOptions): Step {
  if (!/^[A-Za-z][A-Za-z0-9_.:-]*$/.test(o.name) || /^(mirror|raidz|draid|spare|c[0-9])/.test(o.name) || o.name === 'log') throw new Error(`zfsPool: "${o.name}" is not a usable pool name`);
  if (o.disks.length < MIN_DISKS[o.layout]) throw new Error(`zfsPool ${o.name}: a ${o.layout} pool needs at least ${MIN_DISKS[o.layout]} disks, got ${o.disks.length}`);
  if (o.layout === 'single' && o.disks.length !== 1) throw new Error(`zfsPool ${o.name}: layout single takes exactly one disk (use stripe for several without redundancy)`);
  const mountpoint = o.filesystemProperties?.['mountpoint'] ?? `/${o.name}`;
  return {
    ...stepMeta(o, `ZFS pool ${o.name}`),
    probe: poolProbeScript(o.name, mountpoint, o.disks),
    check(_ctx, probe): PoolChange | null {
      const plan = planPool(o, parsePoolProbe(probe?.stdout ?? ''));
      switch (plan.kind) {
        case 'present':
          return null;
        case 'refuse':
          throw new Error(`pool ${o.name}: ${plan.problems.length === 1 ? plan.problems[0] : `\n${plan.problems.map((p) => `  - ${p}`).join('\n')}`}`);
        case 'import':
          return { summary: `import the existing pool ${o.name} found on ${o.disks.join(', ')}: ${plan.command}`, plan };
        case 'create': {
          const wipes = plan.wipes.map((w) => `wipe ${w.path} (holds ${w.holds}; --wipe names it): ${w.commands.join(' && ')}`);
          const create = `create pool ${o.name}, ${describeLayout(o.layout, o.disks.length)} (${REDUNDANCY[o.layout]}): ${plan.command}`;
          return { summary: [...wipes, create].join('; then '), plan };
        }
      }
    },
    async apply(ctx, change) {
      const plan = (change as PoolChange).plan;
      if (plan.kind === 'import') {
        assertOk(await ctx.conn.run(plan.command), plan.command);
        return;
      }
      if (plan.kind !== 'create') return;
      // Every wipe is confirmed before the first one starts.
      for (const w of plan.wipes) ctx.confirm(`wipe ${w.path}`);
      for (const w of plan.wipes) {
        assertOk(await ctx.conn.run(w.commands.join(' && ')), `wiping ${w.path}`);
        ctx.log(`wiped ${w.path} (held ${w.holds})`);
      }
      // Let udev drop the links of partitions that are gone before ZFS partitions the disks anew.
      if (plan.wipes.length) await ctx.conn.run('if command -v udevadm >/dev/null 2>&1; then udevadm settle; fi');
      assertOk(await ctx.conn.run(plan.command), plan.command);
    },
  };
}

function describeLayout(layout: PoolLayout, n: number): string {
  if (layout === 'single') return 'on one disk';
  if (layout === 'stripe') return `striped over ${n} disks`;
  return `${layout} of ${n} disks`;
}

/** What to do about the pool, from the probe: a pure decision. */
export function planPool(o: ZfsPoolOptions, probe: PoolProbe): PoolPlan {
  const wipe = o.wipe ?? [];
  const stray = wipe.filter((w) => !o.disks.some((d) => wipeNames(w, d)));
  if (stray.length) {
    return { kind: 'refuse', problems: [`--wipe ${stray.join(', --wipe ')} names none of the pool's disks (${o.disks.join(', ')}): check the name`] };
  }
  if (!probe.zpool) return { kind: 'refuse', problems: ['the zpool command is missing: install OpenZFS (Debian and Proxmox: zfsutils-linux)'] };
  if (probe.poolImported) return adopt(o, probe);
  if (probe.problems.length) return { kind: 'refuse', problems: probe.problems.map((p) => `${p} — nothing is changed while the host's pools cannot be read`) };
  const candidates = probe.importable.filter((p) => p.name === o.name);
  if (candidates.length) return importExisting(o, probe, candidates);
  return create(o, probe, wipe);
}

/** The device paths of a probed disk: the disk and everything on it (partitions, stacked devices). */
function devicePaths(d: DiskProbe): string[] {
  if (d.state !== 'present') return [];
  return d.tree ? allNodes(d.tree).map((n) => n.path) : [d.device];
}

function adopt(o: ZfsPoolOptions, probe: PoolProbe): PoolPlan {
  const pool = probe.imported.find((p) => p.name === o.name);
  if (!pool) return { kind: 'refuse', problems: [`zpool lists ${o.name} as imported but zpool status does not show it: ${probe.problems.join('; ') || 'check zpool status'}`] };
  const outside = probe.disks.filter((d) => !devicePaths(d).some((p) => pool.devices.includes(p)));
  if (outside.length === 0) return { kind: 'present' };
  const which = outside.map((d) => (d.state === 'missing' ? `${d.path} (does not exist)` : d.path)).join(', ');
  return {
    kind: 'refuse',
    problems: [
      `a pool named ${o.name} is imported, but ${which} ${outside.length === 1 ? 'is' : 'are'} not part of it (its devices: ${pool.devices.join(', ') || 'none shown'}). ` +
        'An existing pool is never recreated or changed: to adopt it as it is, list its own disks (by id); to grow it, add disks yourself (zpool attach / zpool add)',
    ],
  };
}

function importExisting(o: ZfsPoolOptions, probe: PoolProbe, candidates: PoolProbe['importable']): PoolPlan {
  const carries = (d: DiskProbe, id: string) =>
    d.state === 'present' && d.signatures.some((s) => s.type === 'zfs_member' && s.label === o.name && (!s.uuid || s.uuid === id));
  const match = candidates.find((c) => probe.disks.every((d) => carries(d, c.id)));
  if (!match) {
    const found = candidates.map((c) => `id ${c.id} on ${c.devices.join(', ') || 'unknown devices'}`).join('; ');
    return {
      kind: 'refuse',
      problems: [
        `a pool named ${o.name} can be imported (${found}), but it is not on exactly the disks given (${o.disks.join(', ')}), so it is left alone. ` +
          'If it is the pool you mean, list its disks (by id); otherwise import it under another name yourself (zpool import <id> <newname>) or choose another pool name',
      ],
    };
  }
  const dirs = [...new Set(o.disks.map((d) => dirname(d)))];
  const target = candidates.length > 1 ? match.id : o.name;
  const { possible, needsForce } = importability(match);
  if (needsForce) {
    return {
      kind: 'refuse',
      problems: [
        `pool ${o.name} (id ${match.id}) is on these disks but was last used by another system (${match.status || match.action}). ` +
          `If no other machine uses these disks, import it once yourself — ${cmd('zpool', 'import', '-f', ...dirs.flatMap((d) => ['-d', d]), target)} — then run again`,
      ],
    };
  }
  if (!possible) return { kind: 'refuse', problems: [`pool ${o.name} (id ${match.id}) is on these disks but cannot be imported: state ${match.state}. ${match.status} ${match.action}`.trim()] };
  return { kind: 'import', command: cmd('zpool', 'import', ...dirs.flatMap((d) => ['-d', d]), target) };
}

function create(o: ZfsPoolOptions, probe: PoolProbe, wipe: string[]): PoolPlan {
  const problems: string[] = [];
  const verdicts = probe.disks.map((d) => judgeDisk(d, { wipe, imported: probe.imported, importable: probe.importable }));
  for (const v of verdicts) if (v.kind === 'refuse') problems.push(`${v.reason} — ${v.fix}`);
  const byDevice = new Map<string, string[]>();
  for (const d of probe.disks) if (d.state === 'present') byDevice.set(d.device, [...(byDevice.get(d.device) ?? []), d.path]);
  for (const [device, paths] of byDevice) if (paths.length > 1) problems.push(`${paths.join(' and ')} are the same disk (${device}) — list each disk once`);
  const mountpoint = o.filesystemProperties?.['mountpoint'] ?? `/${o.name}`;
  if (probe.mountpoint === 'nonempty') problems.push(`${mountpoint} exists and is not empty: the new pool would be mounted over what is there — move its content away, or choose another mount point`);
  if (probe.mountpoint === 'notdir') problems.push(`${mountpoint} exists and is not a directory — move it away, or choose another mount point`);
  if (problems.length) return { kind: 'refuse', problems };
  return {
    kind: 'create',
    wipes: verdicts.filter((v): v is Extract<DiskVerdict, { kind: 'wipe' }> => v.kind === 'wipe'),
    command: zpoolCreateCommand(o),
  };
}
