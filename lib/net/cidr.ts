/** IPv4 CIDR arithmetic for firewall checks ("would these rules still let this client in?"). */
export function parseIPv4(ip: string): number | undefined {
  const parts = ip.trim().split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function isCidr(cidr: string): boolean {
  const [ip, bits] = cidr.split('/');
  return parseIPv4(ip ?? '') !== undefined && /^\d{1,2}$/.test(bits ?? '') && Number(bits) <= 32;
}

export function ipInCidr(ip: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split('/');
  const addr = parseIPv4(ip);
  const base = parseIPv4(net ?? '');
  const bits = Number(bitsText);
  if (addr === undefined || base === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(addr / size) === Math.floor(base / size);
}
