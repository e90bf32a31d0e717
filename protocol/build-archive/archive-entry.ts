/** What the archive readers report for each entry, whichever the format. */
export type EntryKind = 'file' | 'directory' | 'symlink' | 'hardlink' | 'device' | 'fifo' | 'socket' | 'unsupported';

export interface ArchiveEntry {
  /** The path as the archive spells it, not yet checked. */
  rawPath: string;
  kind: EntryKind;
  /** Unix permission bits, when the archive records them. */
  mode: number | undefined;
  /** Bytes the entry expands to (for zip, as declared; the reader fails if the real count differs). */
  size: number;
  /** For links: the target as the archive spells it. */
  linkTarget?: string;
}

/** Opens a file entry's bytes; a visitor that does not call it skips them (zip does not inflate them at all). */
export type OpenBody = () => Promise<AsyncIterable<Buffer>>;

/**
 * Called once per entry in archive order. A body that is opened must be consumed before the
 * visitor's promise settles; throwing stops the read.
 */
export type EntryVisitor = (entry: ArchiveEntry, openBody: OpenBody | null) => Promise<void>;

export interface ReaderHooks {
  /** Total entries, when the format says so upfront (zip): checked before anything is inflated. */
  onEntryCount(count: number): void;
  /** Decompressed bytes of the whole stream so far; throws to stop a bomb while it expands. */
  onInflated(totalBytes: number): void;
}
