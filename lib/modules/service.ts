import type { Change, Handler, Step, StepContext } from '../api/step.ts';
import { assertOk } from '../connectors/connector.ts';
import { cmd, shq } from '../connectors/shell.ts';
import { stepMeta, type StepOptions } from './step-options.ts';

export interface ServiceOptions extends StepOptions {
  /** A unit name; ".service" is implied when it has no unit suffix. */
  name: string;
  /** Start at boot. Managed with systemctl enable/disable, which works even where systemd is not running. */
  enabled?: boolean;
  state?: 'started' | 'stopped';
  /** Manage `enabled` in an offline root file system (systemctl --root); `state` is then meaningless. */
  root?: string;
}

interface ServiceChange extends Change {
  enable?: boolean;
  start?: boolean;
}

/** Whether a unit is enabled and running; without a running systemd, start/stop go through the SysV init script. */
export function service(opts: ServiceOptions): Step {
  if (opts.enabled === undefined && opts.state === undefined) throw new Error(`service ${opts.name}: set enabled, state, or both`);
  if (opts.root !== undefined && opts.state !== undefined) throw new Error(`service ${opts.name}: state cannot be managed in an offline root (${opts.root})`);
  const unit = unitName(opts.name);
  const init = initName(opts.name);
  const systemctl = opts.root !== undefined ? `systemctl --root=${shq(opts.root)}` : 'systemctl';
  const probe: string[] = [];
  if (opts.enabled !== undefined) probe.push(`printf 'enabled=%s\\n' "$(${systemctl} is-enabled ${shq(unit)} 2>/dev/null)"`);
  if (opts.state !== undefined) {
    probe.push(
      `if [ -d /run/systemd/system ]; then printf 'active=%s\\n' "$(systemctl is-active ${shq(unit)} 2>/dev/null)"`,
      `elif [ -x ${shq(`/etc/init.d/${init}`)} ]; then ${shq(`/etc/init.d/${init}`)} status </dev/null >/dev/null 2>&1; printf 'init=%s\\n' "$?"`,
      `else echo init=none; fi`,
    );
  }
  const what = [opts.enabled === undefined ? '' : opts.enabled ? 'enabled' : 'disabled', opts.state ?? ''].filter(Boolean).join(', ');
  return {
    ...stepMeta(opts, `service ${unit} ${what}`),
    probe: probe.join('\n'),
    check(ctx, probeResult): ServiceChange | null {
      const found = new Map<string, string>();
      for (const line of (probeResult?.stdout ?? '').split('\n')) {
        const i = line.indexOf('=');
        if (i > 0) found.set(line.slice(0, i), line.slice(i + 1).trim());
      }
      const change: ServiceChange = { summary: '' };
      const phrases: string[] = [];
      if (opts.enabled !== undefined) {
        const s = found.get('enabled') ?? '';
        if (s === '' || s === 'not-found') throw new Error(`unit ${unit} not found${opts.root !== undefined ? ` under ${opts.root}` : ''}`);
        if (s === 'masked' && opts.enabled) throw new Error(`${unit} is masked: unmask it first (systemctl unmask ${unit})`);
        // static, indirect, generated… units cannot be enabled or disabled themselves: only these states are changed.
        if (opts.enabled && (s === 'disabled' || s.startsWith('linked'))) change.enable = true;
        if (!opts.enabled && s === 'enabled') change.enable = false;
        if (change.enable !== undefined) phrases.push(`${change.enable ? 'enable' : 'disable'} ${unit}`);
      }
      if (opts.state !== undefined) {
        const running = isRunning(ctx, found, init);
        const want = opts.state === 'started';
        if (running !== want) {
          change.start = want;
          phrases.push(`${want ? 'start' : 'stop'} ${ctx.facts.systemd ? unit : `${init} (init script)`}`);
        }
      }
      if (phrases.length === 0) return null;
      change.summary = phrases.join(', ');
      return change;
    },
    async apply(ctx, c) {
      const change = c as ServiceChange;
      if (change.enable !== undefined) {
        const verb = change.enable ? 'enable' : 'disable';
        assertOk(await ctx.conn.run(`${systemctl} ${verb} ${shq(unit)}`), `systemctl ${verb} ${unit}`);
      }
      if (change.start !== undefined) {
        const verb = change.start ? 'start' : 'stop';
        if (ctx.facts.systemd) assertOk(await ctx.conn.run(`systemctl ${verb} ${shq(unit)}`), `systemctl ${verb} ${unit}`);
        else assertOk(await ctx.conn.run(initScriptCommand(init, verb)), `service ${init} ${verb}`);
      }
    },
  };
}

/** A handler restarting a service: `systemctl restart`, or the init script where systemd is not running. */
export function restartService(name: string, handlerName = `restart ${name}`): Handler {
  const unit = unitName(name);
  const init = initName(name);
  return {
    name: handlerName,
    async run(ctx) {
      if (ctx.facts.systemd) assertOk(await ctx.conn.run(`systemctl restart ${shq(unit)}`), `systemctl restart ${unit}`);
      else assertOk(await ctx.conn.run(initScriptCommand(init, 'restart')), `service ${init} restart`);
    },
  };
}

function isRunning(ctx: StepContext, found: Map<string, string>, init: string): boolean {
  if (ctx.facts.systemd) {
    const active = found.get('active') ?? '';
    return active === 'active' || active === 'reloading' || active === 'activating';
  }
  const status = found.get('init');
  if (status === undefined || status === 'none') throw new Error(`host does not run systemd and ${init} has no init script`);
  // LSB: status exits 0 only when the service is running.
  return status === '0';
}

/**
 * Runs `service <name> <verb>` with its output in a temp file, not our pipe: a daemon that keeps the inherited
 * stdout open would otherwise hold the command (and the connection) until the timeout.
 */
function initScriptCommand(init: string, verb: string): string {
  const script = shq(`/etc/init.d/${init}`);
  return [
    `[ -x ${script} ] || { echo ${shq(`host does not run systemd and ${init} has no init script`)} >&2; exit 3; }`,
    `out=$(mktemp) || exit 1`,
    `${cmd('service', init, verb)} </dev/null >"$out" 2>&1; rc=$?`,
    `cat "$out" >&2; rm -f "$out"; exit $rc`,
  ].join('\n');
}

function unitName(name: string): string {
  return /\.(service|socket|timer|mount|automount|swap|target|path|slice|scope|device)$/.test(name) ? name : `${name}.service`;
}

function initName(name: string): string {
  return name.replace(/\.service$/, '');
}
