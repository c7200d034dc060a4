import { outputMatches, serviceActive, type VerifyCheck } from '../../lib/api/verify.ts';

export function verifyTailscale(): VerifyCheck[] {
  return [serviceActive('tailscaled'), outputMatches('the node is logged in', 'tailscale status --json', /"BackendState":\s*"Running"/)];
}
