/** An image reference split as Docker reads it: [registry/]repository[:tag][@digest]. */
export interface ImageRef {
  repository: string;
  tag?: string;
  digest?: string;
}

const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;
const TAG = /^[\w][\w.-]{0,127}$/;

export function parseImageRef(ref: string): ImageRef {
  const at = ref.indexOf('@');
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const rest = at >= 0 ? ref.slice(0, at) : ref;
  // A colon after the last slash starts the tag; one before it belongs to a registry port (host:5000/app).
  const colon = rest.lastIndexOf(':');
  const hasTag = colon > rest.lastIndexOf('/');
  return { repository: hasTag ? rest.slice(0, colon) : rest, tag: hasTag ? rest.slice(colon + 1) : undefined, digest };
}

/**
 * Why a reference is not pinned to one version, or undefined when it is: it needs a tag or a digest, and "latest"
 * (said or implied) is not a version.
 */
export function unpinnedReason(ref: string): string | undefined {
  if (ref.trim() === '' || /\s/.test(ref)) return 'it is empty or contains spaces';
  const { repository, tag, digest } = parseImageRef(ref);
  if (!repository || repository.endsWith('/')) return 'it has no repository name';
  if (digest !== undefined && !DIGEST.test(digest)) return `"${digest}" is not a digest (sha256:<64 hex digits>)`;
  if (tag !== undefined && !TAG.test(tag)) return `"${tag}" is not a valid tag`;
  if (tag === 'latest') return 'the tag "latest" moves with every release';
  if (tag === undefined && digest === undefined) return 'it has neither a tag nor a digest, so Docker would use "latest"';
  return undefined;
}
