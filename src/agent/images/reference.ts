/**
 * Docker image references: `[domain[:port]/]path[:tag][@digest]`, normalised as dockerd does
 * (`bb` is `docker.io/library/bb:latest`). Pure.
 */
export interface Reference {
  /** Registry host, `docker.io` for Docker Hub. */
  domain: string;
  /** Repository path, `library/bb` for official images. */
  path: string;
  tag?: string;
  digest?: string;
}

export class ReferenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReferenceError';
  }
}

const DEFAULT_DOMAIN = 'docker.io';
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?$|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

function splitDomain(name: string): { domain: string; path: string } {
  const i = name.indexOf('/');
  let domain = DEFAULT_DOMAIN;
  let path = name;
  if (i !== -1) {
    const first = name.slice(0, i);
    if (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first) {
      domain = first;
      path = name.slice(i + 1);
    }
  }
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = `library/${path}`;
  return { domain, path };
}

/** Parses a reference; throws ReferenceError ("invalid reference format") as dockerd would. */
export function parseReference(input: string): Reference {
  if (input === '' || input.length > 255 * 2) throw new ReferenceError('invalid reference format');
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new ReferenceError('invalid reference format: invalid digest');
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new ReferenceError('invalid reference format');
  }
  const { domain, path } = splitDomain(rest);
  if (!DOMAIN.test(domain)) throw new ReferenceError('invalid reference format');
  if (path.toLowerCase() !== path) {
    throw new ReferenceError(`invalid reference format: repository name (${path}) must be lowercase`);
  }
  if (!path.split('/').every((c) => COMPONENT.test(c))) throw new ReferenceError('invalid reference format');
  if (`${domain}/${path}`.length > 255) throw new ReferenceError('invalid reference format: repository name must not be more than 255 characters');
  return { domain, path, tag, digest };
}

/** The reference with `latest` when it has neither tag nor digest. */
export function withDefaultTag(ref: Reference): Reference {
  return ref.tag || ref.digest ? ref : { ...ref, tag: 'latest' };
}

/** `docker.io/library/bb` */
export function fullName(ref: Reference): string {
  return `${ref.domain}/${ref.path}`;
}

/** `bb` for Docker Hub official images, `user/x` for Hub users, else the full name. */
export function familiarName(ref: Reference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return fullName(ref);
  return ref.path.startsWith('library/') && ref.path.split('/').length === 2 ? ref.path.slice(8) : ref.path;
}

function suffix(ref: Reference): string {
  return `${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** `docker.io/library/bb:latest` — the key references are stored under. */
export function fullString(ref: Reference): string {
  return `${fullName(ref)}${suffix(ref)}`;
}

/** `bb:latest` — what the docker CLI shows. */
export function familiarString(ref: Reference): string {
  return `${familiarName(ref)}${suffix(ref)}`;
}

/** Parses and normalises with the default tag: "bb" -> "docker.io/library/bb:latest". */
export function normalizeReference(input: string): string {
  return fullString(withDefaultTag(parseReference(input)));
}
