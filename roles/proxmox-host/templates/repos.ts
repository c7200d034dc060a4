/**
 * Proxmox VE's apt sources. A fresh PVE 8 has one-line files (pve-enterprise.list, ceph.list), a fresh PVE 9 deb822
 * files (pve-enterprise.sources, ceph.sources); both point at enterprise.proxmox.com, which answers 401 without a
 * subscription. The role turns those entries off (as the web UI does: comment for one-line, `Enabled: false` for
 * deb822) and adds the pve-no-subscription repository in the format of the release.
 */

export const ENTERPRISE_HOST = 'enterprise.proxmox.com';
export const SOURCES_DIR = '/etc/apt/sources.list.d';

/** The role's own no-subscription source: a .list on PVE 8 (as the PVE 8 docs write it), proxmox.sources on PVE 9. */
export const NO_SUBSCRIPTION_FILE: Record<8 | 9, string> = { 8: 'pve-no-subscription.list', 9: 'proxmox.sources' };

/** The keyring PVE 9 ships (package proxmox-archive-keyring); PVE 8 trusts /etc/apt/trusted.gpg.d/proxmox-release-bookworm.gpg. */
export const PROXMOX_KEYRING = '/usr/share/keyrings/proxmox-archive-keyring.gpg';

const HEADER = '# Managed by media-server-home (role proxmox-host).\n# Proxmox VE pve-no-subscription repository provided by proxmox.com,\n# NOT recommended for production use\n';

export function noSubscriptionList(url: string, suite: string): string {
  return `${HEADER}deb ${url} ${suite} pve-no-subscription\n`;
}

export function noSubscriptionSources(url: string, suite: string): string {
  return `${HEADER}Types: deb\nURIs: ${url}\nSuites: ${suite}\nComponents: pve-no-subscription\nSigned-By: ${PROXMOX_KEYRING}\n`;
}

export interface RepoEdit {
  text: string;
  summary: string;
}

/** Comments out every active one-line entry that points at the enterprise repository. */
export function disableOneLine(text: string): RepoEdit | null {
  let count = 0;
  const lines = text.split('\n').map((line) => {
    if (/^\s*deb(-src)?\s/.test(line) && line.includes(ENTERPRISE_HOST)) {
      count++;
      return `# ${line}`;
    }
    return line;
  });
  return count ? { text: lines.join('\n'), summary: `comment out ${count === 1 ? 'the enterprise entry' : `${count} enterprise entries`}` } : null;
}

const FALSE_WORDS = /^(no|false|without|off|disable|0)$/i;

/**
 * Sets `Enabled: false` in every deb822 stanza whose URIs point at the enterprise repository (replacing `Enabled: yes`,
 * or added as the stanza's last field). Stanzas are separated by blank lines; comments stay where they are.
 */
export function disableDeb822(text: string): RepoEdit | null {
  const lines = text.split('\n');
  let count = 0;
  let start = 0;
  const out: string[] = [];
  const flush = (end: number) => {
    const stanza = lines.slice(start, end);
    const fieldAt = (name: string) => stanza.findIndex((l) => new RegExp(`^${name}:`, 'i').test(l));
    const uris = fieldAt('URIs');
    // A field's value may go on over lines that start with white space.
    const urisValue = uris < 0 ? '' : [stanza[uris]!, ...stanza.slice(uris + 1).filter((_, k, rest) => rest.slice(0, k + 1).every((l) => /^\s+\S/.test(l)))].join(' ');
    if (urisValue.includes(ENTERPRISE_HOST)) {
      const enabled = fieldAt('Enabled');
      if (enabled < 0) {
        let last = stanza.length - 1;
        while (last >= 0 && (stanza[last]!.trim() === '' || stanza[last]!.startsWith('#'))) last--;
        stanza.splice(last + 1, 0, 'Enabled: false');
        count++;
      } else if (!FALSE_WORDS.test(stanza[enabled]!.replace(/^Enabled:\s*/i, '').trim())) {
        stanza[enabled] = 'Enabled: false';
        count++;
      }
    }
    out.push(...stanza);
  };
  lines.forEach((line, i) => {
    if (line.trim() === '') {
      flush(i);
      out.push(line);
      start = i + 1;
    }
  });
  flush(lines.length);
  return count ? { text: out.join('\n'), summary: `set Enabled: false on ${count === 1 ? 'the enterprise entry' : `${count} enterprise entries`}` } : null;
}
