/** Paths inside a build archive: normalised to `a/b/c`, refused when absolute or climbing out. */
import { AppError } from '../errors.js';

/** The normalised path of an entry, or '' for the archive root itself. */
export function entryPath(rawPath: string): string {
  if (rawPath.includes('\0')) throw new AppError('ARCHIVE_PATH_TRAVERSAL', 'An entry path contains a NUL byte.');
  if (rawPath.startsWith('/') || rawPath.startsWith('\\') || /^[A-Za-z]:/.test(rawPath)) {
    throw new AppError('ARCHIVE_ABSOLUTE_PATH', `The entry "${rawPath}" has an absolute path; paths must be relative to the archive root.`);
  }
  const segments = rawPath.split(/[/\\]/).filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) {
    throw new AppError('ARCHIVE_PATH_TRAVERSAL', `The entry "${rawPath}" climbs out of the archive with "..".`);
  }
  return segments.join('/');
}

export function parentPath(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** Every proper ancestor of `path`, nearest the root first. */
export function ancestors(path: string): string[] {
  const segments = path.split('/');
  return segments.slice(1).map((_, i) => segments.slice(0, i + 1).join('/'));
}

const MAX_LINK_HOPS = 40;

/**
 * Where `path` ends up when the archive's symbolic links are followed, as the kernel would follow
 * them once unpacked (a link to `..` inside a link's path climbs from the link's target, not from
 * its name). Returns null when the walk leaves the archive, is absolute, or loops.
 */
export function resolveInArchive(path: string, symlinks: ReadonlyMap<string, string>): string | null {
  const pending = path.split('/').filter((s) => s !== '' && s !== '.');
  const resolved: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const segment = pending.shift() as string;
    if (segment === '.') continue;
    if (segment === '..') {
      if (resolved.length === 0) return null;
      resolved.pop();
      continue;
    }
    resolved.push(segment);
    const target = symlinks.get(resolved.join('/'));
    if (target === undefined) continue;
    if (++hops > MAX_LINK_HOPS || target.startsWith('/')) return null;
    resolved.pop();
    pending.unshift(...target.split('/').filter((s) => s !== ''));
  }
  return resolved.join('/');
}
