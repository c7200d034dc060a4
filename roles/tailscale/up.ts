/** Building `tailscale up` and reading `tailscale status --json`: pure functions, tested on real output shapes. */

export interface UpSettings {
  /** Path of a root-only file holding the auth key: `--auth-key=file:` keeps the key out of the process list. */
  authKeyFile: string;
  advertiseRoutes: string[];
  ssh: boolean;
  hostname: string;
}

export function tailscaleUpArgs(s: UpSettings): string[] {
  const args = ['up', `--auth-key=file:${s.authKeyFile}`];
  if (s.hostname) args.push(`--hostname=${s.hostname}`);
  if (s.advertiseRoutes.length) args.push(`--advertise-routes=${s.advertiseRoutes.join(',')}`);
  if (s.ssh) args.push('--ssh');
  // up refuses to run when flags set earlier are left out unless told that this is the whole wanted state.
  args.push('--reset');
  return args;
}

export interface NodeState {
  authenticated: boolean;
  /** BackendState as tailscaled reports it: NoState, NeedsLogin, NeedsMachineAuth, Stopped, Starting, Running. */
  backendState: string;
  ips: string[];
}

/**
 * Reads `tailscale status --json`. A node that has logged in keeps its identity across `tailscale down` (Stopped)
 * and while it waits for admin approval (NeedsMachineAuth): neither must be re-authenticated with a new key.
 */
export function parseStatus(json: string): NodeState {
  let data: { BackendState?: unknown; TailscaleIPs?: unknown; Self?: { TailscaleIPs?: unknown } };
  try {
    data = JSON.parse(json);
  } catch {
    return { authenticated: false, backendState: 'unknown', ips: [] };
  }
  const backendState = typeof data.BackendState === 'string' ? data.BackendState : 'unknown';
  const ipsRaw = Array.isArray(data.TailscaleIPs) ? data.TailscaleIPs : Array.isArray(data.Self?.TailscaleIPs) ? data.Self.TailscaleIPs : [];
  const ips = ipsRaw.filter((ip): ip is string => typeof ip === 'string');
  return { authenticated: ['Running', 'Starting', 'Stopped', 'NeedsMachineAuth'].includes(backendState), backendState, ips };
}
