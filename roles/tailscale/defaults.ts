export const defaults = {
  tailscale_advertise_routes: false,
  tailscale_ssh: false,
  tailscale_hostname: '',
  /** Only ever a reference: the key itself lives in .env. */
  tailscale_authkey: '${TAILSCALE_AUTHKEY}',
};

export const docs = {
  tailscale_advertise_routes: { description: 'Offer the LAN (lan_cidr) to your tailnet as a subnet route (turns on IP forwarding; approve it in the admin console).' },
  tailscale_ssh: { description: 'Enable Tailscale SSH on the host (in addition to normal SSH).' },
  tailscale_hostname: { description: 'Name of the host in the tailnet (default: its hostname).' },
  tailscale_authkey: { description: 'The auth key, as a reference to .env (default ${TAILSCALE_AUTHKEY}); used once, to join.' },
};
