import type { Role } from '../lib/api/role.ts';
import { backup } from './backup/index.ts';
import { base } from './base/index.ts';
import { dockerStack } from './docker-stack/index.ts';
import { hardening } from './hardening/index.ts';
import { monitoring } from './monitoring/index.ts';
import { proxmoxHost } from './proxmox-host/index.ts';
import { tailscale } from './tailscale/index.ts';
import { traefik } from './traefik/index.ts';
import { vmServices, vmServicesCreate } from './vm-services/index.ts';
import { zfs } from './zfs/index.ts';

/**
 * Every role, in the order site.ts runs them (role after role, across hosts). The Proxmox side comes first: on a fresh
 * box the services VM exists only once vm-services-create has made it, so no role may reach for it before.
 * traefik comes after docker-stack: its file provider picks up the certificate, and its verify can then ask Traefik
 * for HTTPS. monitoring deploys the stack's monitoring part once the rest runs (it scrapes Traefik, Jellyfin, Immich).
 * backup comes last: its appdata schedule dumps Immich's database from the running stack.
 */
export const siteRoles: Role[] = [proxmoxHost, zfs, vmServicesCreate, base, vmServices, hardening, tailscale, dockerStack, traefik, monitoring, backup];

export const allRoles: Role[] = siteRoles;
