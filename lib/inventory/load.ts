import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, type Pair, type YAMLMap } from 'yaml';
import type { VarValue } from '../api/role.ts';
import { InputError } from '../errors.ts';
import { closest } from './suggest.ts';
import { parseYamlSource } from './yaml-source.ts';
import type { Inventory, InventoryHost, SourcePos, VarSchema } from './types.ts';

const GROUP_KEYS = ['hosts', 'children', 'vars'];
const GROUP_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const HOST_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Reads an inventory in Ansible's YAML shape and validates every key against the schema. */
export function loadInventory(file: string, schema: VarSchema): Inventory {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new InputError(`inventory file not found`, { file }, `create it from inventory/example.yml, or pass another with -i <file>`);
  }
  return parseInventory(text, file, schema);
}

export function parseInventory(text: string, file: string, schema: VarSchema): Inventory {
  const { doc, posOf } = parseYamlSource(text, file, 'fix the YAML syntax at that place (indentation, a missing colon or quote)');
  const fail = (message: string, node: unknown, fix?: string): never => {
    throw new InputError(message, posOf(node), fix);
  };

  const root = doc.contents;
  if (!isMap(root)) fail('the inventory must be a mapping with the single key "all"', root, 'start the file with "all:" (see inventory/example.yml)');
  const rootMap = root as YAMLMap;
  for (const pair of rootMap.items) {
    if (keyOf(pair) !== 'all') fail(`unknown top-level key "${keyOf(pair)}"`, pair.key, 'put every group under "all:" → "children:"');
  }
  const allNode = rootMap.items[0]?.value;
  if (!allNode) fail('the inventory has no "all" group', root, 'start the file with "all:" (see inventory/example.yml)');

  const hosts = new Map<string, InventoryHost>();
  const groups = new Map<string, Set<string>>();

  const isEmpty = (node: unknown) => node == null || (isScalar(node) && node.value == null);
  /** The mapping a key holds; undefined when the key is absent or empty. */
  const mappingAt = (node: unknown, message: string, fix: string): YAMLMap | undefined => (isEmpty(node) ? undefined : isMap(node) ? node : fail(message, node, fix));

  const toValue = (node: unknown, key: string): VarValue => {
    if (isScalar(node)) {
      const v = node.value;
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
      return fail(`"${key}" has no value`, node, `give "${key}" a value, or remove the line`);
    }
    if (isSeq(node)) return node.items.map((item) => toValue(item, key)) as VarValue;
    if (isMap(node)) {
      const out: Record<string, VarValue> = {};
      for (const p of node.items) out[keyOf(p)] = toValue(p.value, `${key}.${keyOf(p)}`);
      return out;
    }
    return fail(`"${key}" has no value`, node, `give "${key}" a value, or remove the line`);
  };

  const readVars = (node: unknown, origins: Record<string, SourcePos>): Record<string, VarValue> => {
    const vars = mappingAt(node, '"vars" must be a mapping of names to values', 'write one "name: value" per line under vars:');
    const out: Record<string, VarValue> = {};
    for (const pair of vars?.items ?? []) {
      const key = keyOf(pair);
      const def = schema.get(key);
      if (!def) {
        const hint = closest(key, [...schema.keys()]);
        fail(`unknown variable "${key}"`, pair.key, hint ? `did you mean "${hint}"? (every variable is listed in inventory/example.yml)` : 'remove it; every variable is listed in inventory/example.yml');
      }
      if (isEmpty(pair.value)) {
        fail(`"${key}" has no value`, pair.key, `give "${key}" a value, or remove the line`);
      }
      const value = toValue(pair.value, key);
      const type = Array.isArray(value) ? 'list' : typeof value === 'object' ? 'map' : (typeof value as 'string' | 'number' | 'boolean');
      if (type !== def!.type) {
        fail(`"${key}" must be a ${def!.type}, not a ${type}`, pair.value, `${def!.description}`);
      }
      if (def!.choices && !def!.choices.includes(String(value))) {
        fail(`"${key}" is "${String(value)}"; allowed: ${def!.choices.join(', ')}`, pair.value, `set it to one of: ${def!.choices.join(', ')}`);
      }
      out[key] = value;
      origins[key] = posOf(pair.value ?? pair.key);
    }
    return out;
  };

  // Groups can be listed more than once (Ansible merges them); vars are merged outermost first.
  interface Layer { group: string; depth: number; vars: Record<string, VarValue>; origins: Record<string, SourcePos> }
  interface HostSeen { pos: SourcePos; groups: string[]; groupLayers: Layer[]; hostLayers: Layer[] }
  const seen = new Map<string, HostSeen>();

  const walkGroup = (name: string, node: unknown, chain: string[], inherited: Layer[]): void => {
    if (chain.includes(name)) fail(`group "${name}" contains itself`, node, 'remove the loop from "children"');
    const members = groups.get(name) ?? new Set<string>();
    groups.set(name, members);
    const path = [...chain, name];
    const map = mappingAt(node, `group "${name}" must be a mapping with hosts, children or vars`, 'see inventory/example.yml for the shape');
    if (!map) return;
    for (const pair of map.items) {
      const key = keyOf(pair);
      if (!GROUP_KEYS.includes(key)) {
        const hint = closest(key, GROUP_KEYS);
        fail(`unknown key "${key}" in group "${name}"`, pair.key, `a group holds only ${GROUP_KEYS.join(', ')}${hint ? `; did you mean "${hint}"?` : ''}`);
      }
    }
    const origins: Record<string, SourcePos> = {};
    const vars = readVars(map.get('vars', true), origins);
    const layers = [...inherited, { group: name, depth: path.length, vars, origins }];

    const hostsMap = mappingAt(map.get('hosts', true), `"hosts" of group "${name}" must be a mapping of host names`, 'write "hostname:" lines, each with its vars below it');
    for (const pair of hostsMap?.items ?? []) {
      const hostName = keyOf(pair);
      if (!HOST_NAME.test(hostName)) fail(`"${hostName}" is not a valid host name`, pair.key, 'use letters, digits, dots, dashes and underscores');
      const hostOrigins: Record<string, SourcePos> = {};
      const hostVars = readVars(pair.value, hostOrigins);
      const entry = seen.get(hostName) ?? { pos: posOf(pair.key), groups: [], groupLayers: [], hostLayers: [] };
      for (const g of path) if (!entry.groups.includes(g)) entry.groups.push(g);
      for (const layer of layers) if (!entry.groupLayers.includes(layer)) entry.groupLayers.push(layer);
      entry.hostLayers.push({ group: name, depth: Infinity, vars: hostVars, origins: hostOrigins });
      seen.set(hostName, entry);
      for (const g of path) groups.get(g)!.add(hostName);
    }

    const childrenMap = mappingAt(map.get('children', true), `"children" of group "${name}" must be a mapping of group names`, 'write "groupname:" lines, each with hosts/children/vars below it');
    for (const pair of childrenMap?.items ?? []) {
      const child = keyOf(pair);
      if (!GROUP_NAME.test(child)) fail(`"${child}" is not a valid group name`, pair.key, 'start with a letter; use letters, digits, dashes and underscores');
      walkGroup(child, pair.value, path, layers);
      for (const h of groups.get(child)!) members.add(h);
    }
  };
  walkGroup('all', allNode, [], []);

  for (const [name, entry] of seen) {
    const vars: Record<string, VarValue> = {};
    const origins: Record<string, SourcePos> = {};
    // As in Ansible: all < parent group < child group < host; at equal depth the group met later wins.
    const ordered = [...entry.groupLayers].sort((a, b) => a.depth - b.depth);
    for (const layer of [...ordered, ...entry.hostLayers]) {
      Object.assign(vars, layer.vars);
      Object.assign(origins, layer.origins);
    }
    hosts.set(name, { name, groups: entry.groups, vars, origins, pos: entry.pos });
  }
  if (hosts.size === 0) fail('the inventory lists no host', allNode, 'add a host under all → children → <group> → hosts');
  return { file, hosts, groups };
}

function keyOf(pair: Pair): string {
  const k = pair.key;
  return isScalar(k) ? String(k.value) : String(k);
}
