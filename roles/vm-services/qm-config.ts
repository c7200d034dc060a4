/**
 * Reading `qm config` and `qm pending` output, and deciding the `qm set` that brings a VM to the wanted settings.
 * Pure functions, tested on recorded outputs (test/fixtures/vm-services/).
 */

/** `qm config <vmid>` output ("key: value" lines, sorted) as a map. */
export function parseQmConfig(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([a-z][a-z0-9_-]*): (.*)$/.exec(line);
    if (m) map.set(m[1]!, m[2]!);
  }
  return map;
}

/** A property string "a=1,b=2" (a value without "=" is the default key's), as ordered [key, value] pairs. */
export function parsePropertyString(value: string, defaultKey: string): [string, string][] {
  return value
    .split(',')
    .filter((p) => p !== '')
    .map((p) => {
      const i = p.indexOf('=');
      return i < 0 ? [defaultKey, p] : [p.slice(0, i), p.slice(i + 1)];
    });
}

const NET_MODELS = ['virtio', 'e1000', 'e1000e', 'rtl8139', 'vmxnet3', 'i82551', 'i82557b', 'i82559er', 'ne2k_isa', 'ne2k_pci', 'pcnet'];

/** net0 "virtio=BC:24:11:..,bridge=vmbr0,firewall=1" → model, MAC and the other options. */
export function parseNet(value: string): { model: string; mac: string; options: [string, string][] } {
  const pairs = parsePropertyString(value, 'model');
  const first = pairs.find(([k]) => NET_MODELS.includes(k) || k === 'model');
  const model = first ? (first[0] === 'model' ? first[1] : first[0]) : '';
  const mac = first && first[0] !== 'model' ? first[1] : (pairs.find(([k]) => k === 'macaddr')?.[1] ?? '');
  return { model, mac, options: pairs.filter((p) => p !== first && p[0] !== 'macaddr') };
}

/** "3584M", "32G", "1T", "512K" (a `size=` of a disk) → bytes. */
export function parseDiskSize(size: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)$/.exec(size);
  if (!m) return undefined;
  const power = { '': 0, K: 1, M: 2, G: 3, T: 4 }[m[2] as '' | 'K' | 'M' | 'G' | 'T'];
  return Math.round(Number(m[1]) * 1024 ** power);
}

/** The boot disk: the first disk of `boot: order=…` that is not a CD-ROM, else scsi0/virtio0/sata0/ide0 if present. */
export function bootDisk(config: Map<string, string>): { key: string; size?: number } | undefined {
  const order = /(?:^|,)order=([^,]+)/.exec(config.get('boot') ?? '')?.[1]?.split(';') ?? [];
  const isDisk = (k: string) => /^(scsi|virtio|sata|ide)\d+$/.test(k) && config.has(k) && !/(^|,)media=cdrom(,|$)/.test(config.get(k)!);
  const key = order.find(isDisk) ?? ['scsi0', 'virtio0', 'sata0', 'ide0'].find(isDisk);
  if (!key) return undefined;
  const size = /(?:^|,)size=([^,]+)/.exec(config.get(key)!)?.[1];
  return { key, size: size === undefined ? undefined : parseDiskSize(size) };
}

/** sshkeys as Proxmox stores them (URI-escaped) or as a key file holds them → the keys, one per line. */
export function normalizeKeys(text: string, escaped: boolean): string {
  let plain = text;
  if (escaped) {
    try {
      plain = decodeURIComponent(text);
    } catch {
      plain = text;
    }
  }
  return plain
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .join('\n');
}

/** What the role wants of an existing VM; keys it does not manage are left as they are. */
export interface WantedVm {
  cores: number;
  memory: number;
  bridge: string;
  ip: string;
  gw: string;
  /** Space-separated DNS servers; empty: not managed (Proxmox uses the host's). */
  nameserver: string;
  ciuser: string;
  /** The public keys, one per line. */
  sshkeys: string;
  /** Mapping ids for virtiofs0, virtiofs1, … (empty when the datasets are not shared by virtiofs). */
  virtiofs: string[];
  /** virtiofsN naming a mapping id with this prefix and not wanted are removed ("<pool>-"). */
  virtiofsPrefix: string;
  /** The iGPU's hostpci value, undefined to remove the role's iGPU device, null to leave hostpci alone. */
  igpu: string | undefined | null;
}

export interface ConfigChange {
  key: string;
  from: string | undefined;
  to: string | undefined;
}

export interface Reconcile {
  changes: ConfigChange[];
  /** `qm set` options, e.g. ["--cores", "4", "--delete", "virtiofs4"]; without sshkeys, which `qm set` reads from a file. */
  args: string[];
  /** The keys differ: `qm set --sshkeys <file>` is needed too. */
  sshkeys: boolean;
}

const pciHost = (v: string) => {
  const host = parsePropertyString(v, 'host').find(([k]) => k === 'host')?.[1] ?? '';
  return host.includes(':') && host.split(':').length === 2 ? `0000:${host}` : host;
};
const mdev = (v: string) => parsePropertyString(v, 'host').find(([k]) => k === 'mdev')?.[1];
const virtiofsId = (v: string) => parsePropertyString(v, 'dirid').find(([k]) => k === 'dirid')?.[1] ?? '';
const agentOn = (v: string | undefined) => {
  const enabled = parsePropertyString(v ?? '0', 'enabled').find(([k]) => k === 'enabled')?.[1];
  return enabled === '1' || enabled === 'on' || enabled === 'yes' || enabled === 'true';
};

/** The hostpciN that holds this PCI device ("00:02.0" and "0000:00:02.0" are the same), if any. */
export function igpuDeviceKey(config: Map<string, string>, pci: string): string | undefined {
  return [...config].find(([k, v]) => /^hostpci\d+$/.test(k) && pciHost(v) === pci)?.[0];
}

/** The changes that bring `config` (as `qm config` shows it, pending values included) to `want`. */
export function reconcile(config: Map<string, string>, want: WantedVm, igpuPci: string): Reconcile {
  const changes: ConfigChange[] = [];
  const set = (key: string, to: string | undefined) => changes.push({ key, from: config.get(key), to });

  if (Number(config.get('cores') ?? '1') !== want.cores) set('cores', String(want.cores));
  // PVE 8.1+ writes "memory: [current=]<MiB>".
  if (Number((config.get('memory') ?? '512').replace(/^current=/, '').split(',')[0]) !== want.memory) set('memory', String(want.memory));
  const net = config.get('net0');
  if (net === undefined) set('net0', `virtio,bridge=${want.bridge}`);
  else {
    const n = parseNet(net);
    const bridge = n.options.find(([k]) => k === 'bridge')?.[1];
    if (n.model !== 'virtio' || bridge !== want.bridge) {
      const rest = n.options.filter(([k]) => k !== 'bridge').map(([k, v]) => `${k}=${v}`);
      set('net0', [n.mac ? `virtio=${n.mac}` : 'virtio', `bridge=${want.bridge}`, ...rest].join(','));
    }
  }
  const ipconfig = parsePropertyString(config.get('ipconfig0') ?? '', 'ip');
  const field = (k: string) => ipconfig.find(([key]) => key === k)?.[1];
  if (field('ip') !== want.ip || field('gw') !== want.gw) {
    const rest = ipconfig.filter(([k]) => k !== 'ip' && k !== 'gw').map(([k, v]) => `${k}=${v}`);
    set('ipconfig0', [`ip=${want.ip}`, `gw=${want.gw}`, ...rest].join(','));
  }
  if (want.nameserver !== '' && config.get('nameserver') !== want.nameserver) set('nameserver', want.nameserver);
  if (config.get('ciuser') !== want.ciuser) set('ciuser', want.ciuser);
  const keysChanged = normalizeKeys(config.get('sshkeys') ?? '', true) !== normalizeKeys(want.sshkeys, false);
  if (config.get('onboot') !== '1') set('onboot', '1');
  if (!agentOn(config.get('agent'))) set('agent', '1');

  want.virtiofs.forEach((id, i) => {
    const key = `virtiofs${i}`;
    if (virtiofsId(config.get(key) ?? '') !== id) set(key, `${id},cache=auto`);
  });
  for (const [key, value] of config) {
    const m = /^virtiofs(\d+)$/.exec(key);
    if (m && Number(m[1]) >= want.virtiofs.length && virtiofsId(value).startsWith(want.virtiofsPrefix)) set(key, undefined);
  }

  if (want.igpu !== null) {
    const key = igpuDeviceKey(config, igpuPci);
    const current = key === undefined ? undefined : ([key, config.get(key)!] as const);
    if (want.igpu === undefined) {
      if (current) set(current[0], undefined);
    } else if (!current) {
      let n = 0;
      while (config.has(`hostpci${n}`)) n++;
      set(`hostpci${n}`, want.igpu);
    } else if (pciHost(current[1]) !== pciHost(want.igpu) || mdev(current[1]) !== mdev(want.igpu)) set(current[0], want.igpu);
  }

  changes.sort((a, b) => a.key.localeCompare(b.key));
  const args: string[] = [];
  for (const c of changes) if (c.to !== undefined) args.push(`--${c.key}`, c.to);
  const deletes = changes.filter((c) => c.to === undefined).map((c) => c.key);
  if (deletes.length) args.push('--delete', deletes.join(','));
  if (keysChanged) {
    const count = (keys: string) => (keys === '' ? 'no key' : `${keys.split('\n').length} key${keys.includes('\n') ? 's' : ''}`);
    changes.push({ key: 'sshkeys', from: count(normalizeKeys(config.get('sshkeys') ?? '', true)), to: `${count(normalizeKeys(want.sshkeys, false))} of vm_ssh_public_key` });
  }
  return { changes, args, sshkeys: keysChanged };
}

/** One change for the plan: "memory 4096 → 6144", "virtiofs4 tank-old → (removed)". */
export function describeChange(c: ConfigChange): string {
  return `${c.key} ${c.from ?? '(none)'} → ${c.to ?? '(removed)'}`;
}

/** `qm pending <vmid>`: what waits for the VM's next start ("new" values and "del" entries). */
export function pendingChanges(text: string): ConfigChange[] {
  const cur = new Map<string, string>();
  const out: ConfigChange[] = [];
  for (const line of text.split('\n')) {
    const m = /^(cur|new|del) ([a-z][a-z0-9_-]*): (.*)$/.exec(line);
    if (!m) continue;
    const [, kind, key, value] = m as unknown as [string, string, string, string];
    // A key's "cur" line comes before its "new" line; a "new" without "cur" is a key being added.
    if (kind === 'cur') cur.set(key, value);
    else if (kind === 'new') out.push({ key, from: cur.get(key), to: value });
    else out.push({ key, from: value, to: undefined });
  }
  return out;
}
