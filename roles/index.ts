import type { Role } from '../lib/api/role.ts';
import { base } from './base/index.ts';
import { hardening } from './hardening/index.ts';
import { tailscale } from './tailscale/index.ts';

/** Every role, in the order site.ts runs them. */
export const siteRoles: Role[] = [base, hardening, tailscale];

export const allRoles: Role[] = siteRoles;
