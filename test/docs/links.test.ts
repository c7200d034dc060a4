/**
 * Every relative link in README.md and docs/*.md points at a file of the repository, and every #anchor at a heading of
 * the file it names (GitHub's heading ids). Links to other sites are not followed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const root = resolve(new URL('../..', import.meta.url).pathname);

/** Files the docs may link to before they land from another branch (none now); an existing file is checked like any other. */
const FROM_OTHER_BRANCHES: string[] = [];

const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** The text outside fenced code blocks (a `# comment` in a shell block is not a heading, a link there is not a link). */
export function prose(markdown: string): string {
  let fenced = false;
  return markdown
    .split('\n')
    .filter((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        fenced = !fenced;
        return false;
      }
      return !fenced;
    })
    .join('\n');
}

/** Inline links [text](target) and images, without inline code spans. */
export function links(markdown: string): string[] {
  const text = prose(markdown).replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
}

/** GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, -1, -2… for repeats. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const ids = new Set<string>();
  for (const m of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = m[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    ids.add(n === 0 ? base : `${base}-${n}`);
  }
  return ids;
}

const t = suite('docs links');

t('heading ids as GitHub makes them', () => {
  const ids = anchors('# Ports and DNS\n## Internal DNS (`*.home.arpa`)\n## QuickSync (Intel HD 530) transcoding\n```sh\n# not a heading\n```\n## Step\n## Step\n');
  assert.equal([...ids], ['ports-and-dns', 'internal-dns-homearpa', 'quicksync-intel-hd-530-transcoding', 'step', 'step-1']);
});

t('links outside code', () => {
  assert.equal(links('see [a](docs/a.md#x) and ![d](../assets/d.mmd)\n`[no](code.md)`\n```\n[no](block.md)\n```\n[web](https://example.com)'), ['docs/a.md#x', '../assets/d.mmd', 'https://example.com']);
});

for (const doc of docs) {
  t(`${doc}: every relative link resolves`, () => {
    const problems: string[] = [];
    for (const target of links(readFileSync(join(root, doc), 'utf8'))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      const [path = '', anchor] = target.split('#', 2);
      const file = path === '' ? join(root, doc) : resolve(dirname(join(root, doc)), decodeURI(path));
      const rel = relative(root, file);
      if (!existsSync(file)) {
        if (!FROM_OTHER_BRANCHES.includes(rel)) problems.push(`${target}: ${rel} does not exist`);
        continue;
      }
      if (anchor !== undefined && anchor !== '' && rel.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(anchor)) {
        problems.push(`${target}: ${rel} has no heading #${anchor}`);
      }
    }
    assert.equal(problems, [], problems.join('\n'));
  });
}

t.run();
