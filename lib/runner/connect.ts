import type { Vars } from '../api/role.ts';
import type { Connector } from '../connectors/connector.ts';
import { LocalConnector } from '../connectors/local.ts';
import { SshConnector } from '../connectors/ssh.ts';

export const DEFAULT_STATE_DIR = '/var/lib/media-server-home';

/** Builds the connector a host's connection vars ask for. */
export function connectorFor(hostName: string, v: Vars): Connector {
  const become = v.ansible_become === true;
  const commandTimeoutMs = typeof v.msh_command_timeout === 'number' ? v.msh_command_timeout * 1000 : undefined;
  if (v.ansible_connection === 'local') return new LocalConnector({ become, commandTimeoutMs });
  return new SshConnector({
    host: typeof v.ansible_host === 'string' ? v.ansible_host : hostName,
    port: typeof v.ansible_port === 'number' ? v.ansible_port : undefined,
    user: typeof v.ansible_user === 'string' ? v.ansible_user : undefined,
    keyFile: typeof v.ansible_ssh_private_key_file === 'string' ? v.ansible_ssh_private_key_file : undefined,
    become,
    connectTimeoutSec: typeof v.msh_connect_timeout === 'number' ? v.msh_connect_timeout : undefined,
    commandTimeoutMs,
    knownHostsFile: typeof v.msh_known_hosts_file === 'string' ? v.msh_known_hosts_file : undefined,
  });
}

export function stateDirFor(v: Vars): string {
  return typeof v.msh_state_dir === 'string' ? v.msh_state_dir : DEFAULT_STATE_DIR;
}
