import type { Role } from '../lib/api/role.ts';
import { base } from './base/index.ts';
import { hardening } from './hardening/index.ts';
import { proxmoxHost } from './proxmox-host/index.ts';
import { tailscale } from './tailscale/index.ts';
import { traefik } from './traefik/index.ts';
import { zfs } from './zfs/index.ts';

/** Every role, in the order site.ts runs them. */
export const siteRoles: Role[] = [base, proxmoxHost, zfs, hardening, tailscale, traefik];

export const allRoles: Role[] = siteRoles;
