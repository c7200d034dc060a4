import type { Change, Step } from '../api/step.ts';
import { assertOk } from '../connectors/connector.ts';
import { cmd } from '../connectors/shell.ts';
import { stepMeta, type StepOptions } from './step-options.ts';

export interface ZfsDatasetOptions extends StepOptions {
  /** Full dataset name, e.g. "tank/media". */
  name: string;
  /** ZFS properties it must have, e.g. { recordsize: '1M' }; others are left as they are (inherited or set). */
  properties: Record<string, string>;
  /** false for a pool's root dataset, which only `zpool create` makes: then a missing dataset is an error. */
  create?: boolean;
}

/** Properties whose values are sizes: compared in bytes, so "1M", "1024K" and 1048576 are the same. */
const SIZE_PROPERTIES = new Set(['recordsize', 'volblocksize', 'volsize', 'quota', 'refquota', 'reservation', 'refreservation', 'special_small_blocks']);

export interface PropertyChange {
  property: string;
  /** The current value as shown ("128K", "-" when not set). */
  from: string;
  to: string;
}

export interface DatasetState {
  exists: boolean;
  /** Parsable values (`zfs get -p`), by property. */
  values: Map<string, string>;
}

interface DatasetChange extends Change {
  create: boolean;
  changes: PropertyChange[];
  mount: boolean;
}

const EXTRA = ['type', 'mounted', 'canmount'];

/**
 * A ZFS dataset with these properties: created with them when missing (`zfs create -o …`), drift set back with
 * `zfs set`, and mounted when it should be and is not. The plan lists each property as old → new.
 */
export function zfsDataset(o: ZfsDatasetOptions): Step {
  if (!/^[A-Za-z][A-Za-z0-9_.:-]*(\/[A-Za-z0-9_.:-]+)*$/.test(o.name)) throw new Error(`zfsDataset: "${o.name}" is not a dataset name`);
  for (const [k, v] of Object.entries(o.properties)) {
    if (!/^[a-z][a-z0-9_:.-]*$/.test(k)) throw new Error(`zfsDataset ${o.name}: "${k}" is not a property name`);
    if (v === '' || /[\n\t]/.test(v)) throw new Error(`zfsDataset ${o.name}: property ${k} needs a single-line value`);
  }
  const props = Object.keys(o.properties);
  return {
    ...stepMeta(o, `ZFS dataset ${o.name}`),
    probe: `zfs get -H -p -o property,value ${cmd([...EXTRA, ...props].join(','), o.name)} 2>&1`,
    check(_ctx, probe): DatasetChange | null {
      const state = parseZfsGet(probe?.stdout ?? '', probe?.code ?? 1, o.name);
      if (!state.exists) {
        if (o.create === false) throw new Error(`dataset ${o.name} does not exist (it is made with its pool)`);
        return { summary: `create ${o.name}: ${zfsCreateCommand(o.name, o.properties)}`, create: true, changes: [], mount: false };
      }
      const changes = propertyChanges(o.properties, state.values);
      // A filesystem that should be mounted but is not (its mount point was busy, or it was unmounted by hand).
      const mount = state.values.get('type') === 'filesystem' && state.values.get('canmount') === 'on' && state.values.get('mounted') === 'no' && !changes.some((c) => c.property === 'mountpoint' || c.property === 'canmount');
      if (!changes.length && !mount) return null;
      const parts = [];
      if (changes.length) parts.push(`${changes.map((c) => `${c.property} ${c.from} → ${c.to}`).join(', ')} (${zfsSetCommand(o.name, changes)})`);
      if (mount) parts.push(`mount it (${cmd('zfs', 'mount', o.name)})`);
      return { summary: `${o.name}: ${parts.join('; ')}`, create: false, changes, mount };
    },
    async apply(ctx, c) {
      const change = c as DatasetChange;
      if (change.create) {
        assertOk(await ctx.conn.run(zfsCreateCommand(o.name, o.properties)), `creating ${o.name}`);
        return;
      }
      if (change.changes.length) assertOk(await ctx.conn.run(zfsSetCommand(o.name, change.changes)), `setting properties of ${o.name}`);
      if (change.mount) assertOk(await ctx.conn.run(cmd('zfs', 'mount', o.name)), `mounting ${o.name}`);
    },
  };
}

export function zfsCreateCommand(name: string, properties: Record<string, string>): string {
  // -p: parents that are missing are made too (with inherited properties), as for nested datasets like tank/media/films.
  return cmd('zfs', 'create', '-p', ...Object.entries(properties).flatMap(([k, v]) => ['-o', `${k}=${v}`]), name);
}

export function zfsSetCommand(name: string, changes: PropertyChange[]): string {
  return cmd('zfs', 'set', ...changes.map((c) => `${c.property}=${c.to}`), name);
}

/** `zfs get -H -p -o property,value` output, or "dataset does not exist". Anything else is an error worth showing. */
export function parseZfsGet(stdout: string, code: number, name: string): DatasetState {
  if (/dataset does not exist/.test(stdout)) return { exists: false, values: new Map() };
  if (code !== 0) throw new Error(`cannot read the properties of ${name}: ${stdout.trim().split('\n').slice(-3).join(' ') || `zfs get exit ${code}`}`);
  const values = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [prop, value] = line.split('\t');
    if (prop && value !== undefined) values.set(prop, value);
  }
  return { exists: true, values };
}

/** The wanted properties whose current value differs; sizes compared as numbers of bytes. */
export function propertyChanges(want: Record<string, string>, current: Map<string, string>): PropertyChange[] {
  const out: PropertyChange[] = [];
  for (const [prop, to] of Object.entries(want)) {
    const from = current.get(prop) ?? '-';
    if (sameValue(prop, from, to)) continue;
    out.push({ property: prop, from: SIZE_PROPERTIES.has(prop) ? formatSize(from) : from, to });
  }
  return out;
}

function sameValue(prop: string, current: string, wanted: string): boolean {
  if (SIZE_PROPERTIES.has(prop)) {
    const a = parseSize(current);
    const b = parseSize(wanted);
    return a !== undefined && a === b;
  }
  return current === wanted;
}

const UNITS: Record<string, number> = { '': 1, B: 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40, P: 2 ** 50 };

/** "1M", "1m", "128K", "1.5G", "1048576", "none" (0) → bytes; undefined when it is not a size. */
export function parseSize(value: string): number | undefined {
  if (value === 'none') return 0;
  const m = /^(\d+(?:\.\d+)?)\s*([BKMGTP]?)(?:i?B)?$/i.exec(value.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!);
}

/** 1048576 → "1M", 131072 → "128K", 0 → "none"; other values as they are. */
export function formatSize(value: string): string {
  const n = parseSize(value);
  if (n === undefined) return value;
  if (n === 0) return value === '0' ? 'none' : value;
  for (const u of ['P', 'T', 'G', 'M', 'K'] as const) if (n % UNITS[u]! === 0) return `${n / UNITS[u]!}${u}`;
  return String(n);
}
