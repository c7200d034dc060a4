import type { VarDef } from './types.ts';

/** Connection settings, named as Ansible names them so the same inventory serves both tools. */
export const CONNECTION_VARS: Record<string, Omit<VarDef, 'roles'>> = {
  ansible_host: { type: 'string', description: 'Address or DNS name to reach the host at (default: the host name).' },
  ansible_port: { type: 'number', description: 'SSH port (default 22).' },
  ansible_user: { type: 'string', description: 'SSH user (default: root).' },
  ansible_ssh_private_key_file: { type: 'string', description: 'Private key for SSH (default: ssh-agent / ~/.ssh defaults).' },
  ansible_become: { type: 'boolean', description: 'Run steps as root through `sudo -n` (default: false; not needed as root).' },
  ansible_connection: { type: 'string', choices: ['ssh', 'local'], description: 'How to reach the host: ssh (default) or local.' },
  msh_connect_timeout: { type: 'number', description: 'Seconds to wait for the SSH connection (default 10).' },
  msh_command_timeout: { type: 'number', description: 'Seconds one remote command may take (default 900).' },
  msh_known_hosts_file: { type: 'string', description: 'known_hosts file for these hosts (default .ssh-state/known_hosts; new keys are accepted, changed ones refused).' },
  msh_state_dir: { type: 'string', description: 'Where the tool keeps its state on the host (default /var/lib/media-server-home).' },
};
