import type { Role, Vars } from '../api/role.ts';
import type { Handler, Step } from '../api/step.ts';
import { InputError } from '../errors.ts';
import { CONNECTION_VARS } from '../inventory/connection-vars.ts';
import type { EnvFile } from '../inventory/env-file.ts';
import { resolveKeys, resolveRoleVars } from '../inventory/resolve.ts';
import type { Inventory, InventoryHost } from '../inventory/types.ts';
import type { RunOptions } from './options.ts';

export interface PlannedStep {
  step: Step;
  /** Why the flags leave this step out (tags, --start-at), or undefined when it runs. */
  deselected?: string;
}

export interface PlannedRole {
  role: Role;
  /** The role's place in the playbook: the play runs roles in this order across hosts. */
  order: number;
  vars: Vars;
  steps: PlannedStep[];
  handlers: Handler[];
}

export interface HostPlan {
  host: InventoryHost;
  connection: Vars;
  roles: PlannedRole[];
}

/** Resolves hosts, vars and steps before anything connects, so that bad input fails the run before any change. */
export function planRun(inventory: Inventory, roles: Role[], env: EnvFile, opts: RunOptions): HostPlan[] {
  const selectedHosts = selectHosts(inventory, opts.limit);
  const plans: HostPlan[] = [];
  for (const host of selectedHosts) {
    // A role the tags leave out entirely is not planned: its variables (and .env secrets) are not needed.
    const hostRoles = roles.filter((r) => inventory.groups.get(r.hosts)?.has(host.name) && !tagsExcludeRole(r, opts));
    if (hostRoles.length === 0) continue;
    const connection = resolveKeys(host, Object.keys(CONNECTION_VARS), env);
    const planned = hostRoles.map((role) => {
      const vars = resolveRoleVars(host, role, env);
      const invalid = role.validate?.(vars);
      if (invalid) {
        throw new InputError(`${invalid.key}: ${invalid.message} (host ${host.name}, role ${role.name})`, host.origins[invalid.key] ?? { file: inventory.file }, invalid.fix);
      }
      return {
        role,
        order: roles.indexOf(role),
        vars,
        steps: role.steps(vars, opts.extra).map((step) => ({ step, deselected: tagFilter(step, role, opts) })),
        handlers: role.handlers?.(vars) ?? [],
      };
    });
    plans.push({ host, connection, roles: planned });
  }
  if (plans.length === 0 && (opts.tags.length > 0 || opts.skipTags.length > 0)) {
    const flags = [opts.tags.length ? `--tags ${opts.tags.join(',')}` : '', opts.skipTags.length ? `--skip-tags ${opts.skipTags.join(',')}` : ''].filter(Boolean).join(' ');
    throw new InputError(`${flags} selects no step on the selected hosts`, undefined, `tags are role names (${roles.map((r) => r.name).join(', ')}) and the step tags --check shows`);
  }
  if (plans.length === 0) {
    const groups = [...new Set(roles.map((r) => r.hosts))].join(', ');
    throw new InputError(
      `no selected host is in a group these roles run on (${groups})`,
      { file: inventory.file },
      `put the hosts under all → children → ${roles[0]?.hosts ?? '<group>'} → hosts${opts.limit.length ? `, or change --limit ${opts.limit.join(',')}` : ''}`,
    );
  }
  if (opts.startAt) applyStartAt(plans, opts.startAt);
  return plans;
}

function selectHosts(inventory: Inventory, limit: string[]): InventoryHost[] {
  if (limit.length === 0) return [...inventory.hosts.values()];
  const names = new Set<string>();
  for (const item of limit) {
    const group = inventory.groups.get(item);
    if (group) group.forEach((h) => names.add(h));
    else if (inventory.hosts.has(item)) names.add(item);
    else {
      throw new InputError(
        `--limit ${item}: no host or group of that name in ${inventory.file}`,
        undefined,
        `use one of: ${[...inventory.hosts.keys(), ...[...inventory.groups.keys()].filter((g) => g !== 'all')].join(', ')}`,
      );
    }
  }
  return [...inventory.hosts.values()].filter((h) => names.has(h.name));
}

function tagsExcludeRole(role: Role, opts: RunOptions): boolean {
  if (opts.skipTags.includes(role.name)) return true;
  if (opts.tags.length === 0 || opts.tags.includes(role.name)) return false;
  let steps: Step[];
  try {
    steps = role.steps(role.defaults, opts.extra);
  } catch {
    // The defaults alone cannot build the steps (a required variable is empty): the host's own variables decide.
    return false;
  }
  return steps.every((step) => tagFilter(step, role, opts) !== undefined);
}

function tagFilter(step: Step, role: Role, opts: RunOptions): string | undefined {
  const tags = new Set([role.name, ...(step.tags ?? [])]);
  if (opts.tags.length > 0 && !opts.tags.some((t) => tags.has(t))) return `not tagged ${opts.tags.join(',')}`;
  if (opts.skipTags.some((t) => tags.has(t))) return `tagged ${opts.skipTags.filter((t) => tags.has(t)).join(',')} (--skip-tags)`;
  return undefined;
}

/** "--start-at <title>" or "<role>:<title>", case-insensitive; every step before it is left out. */
function applyStartAt(plans: HostPlan[], startAt: string): void {
  const wanted = startAt.trim().toLowerCase();
  const matches = (role: Role, step: Step) => {
    const title = step.title.toLowerCase();
    return title === wanted || `${role.name}:${title}` === wanted;
  };
  let found = false;
  for (const plan of plans) {
    let started = false;
    for (const pr of plan.roles) {
      for (const ps of pr.steps) {
        if (!started && matches(pr.role, ps.step)) started = found = true;
        if (!started) ps.deselected ??= `before --start-at "${startAt}"`;
      }
    }
  }
  if (!found) {
    const titles = plans.flatMap((p) => p.roles.flatMap((r) => r.steps.map((s) => `${r.role.name}:${s.step.title}`)));
    throw new InputError(`--start-at "${startAt}": no step has that title`, undefined, `use a step title as listed by --check, e.g. "${titles[0] ?? ''}"`);
  }
}
