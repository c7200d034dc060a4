/**
 * Docker publishes ports through iptables' FORWARD chain, around UFW's INPUT rules. This block in /etc/ufw/after.rules
 * lets new connections to containers come only from the LAN and Tailscale; traffic the containers start is untouched.
 */
export function dockerUserRules(lanCidr: string): string {
  return [
    '*filter',
    ':DOCKER-USER - [0:0]',
    '-A DOCKER-USER -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN',
    `-A DOCKER-USER -s ${lanCidr} -j RETURN`,
    '-A DOCKER-USER -i tailscale0 -j RETURN',
    '-A DOCKER-USER -s 172.16.0.0/12 -j RETURN',
    '-A DOCKER-USER -m conntrack --ctstate NEW -d 172.16.0.0/12 -j DROP',
    '-A DOCKER-USER -j RETURN',
    'COMMIT',
  ].join('\n');
}
