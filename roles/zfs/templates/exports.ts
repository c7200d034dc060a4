/** A path exported to the services VM. */
export interface Export {
  path: string;
  client: string;
}

/**
 * /etc/exports lines, one per dataset, for the one client that needs them. no_root_squash: the VM's containers write
 * as root and as their own users, and the VM is the only host let in.
 */
export function exportLines(exports: Export[]): string {
  return exports.map((e) => `${e.path} ${e.client}(rw,sync,no_subtree_check,no_root_squash)`).join('\n');
}
