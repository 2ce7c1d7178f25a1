/**
 * The full manifest a device rebuilds from the commit log (S11): replaying commits oldest first gives the ordered
 * segment list, the tombstone set and the latest settings. Pure: the same commits always give the same manifest.
 */
import { AppError } from '../errors';
import type { CommitRecord, ManifestCheckpoint, SegmentRef, Sha256Hex } from './protocol';

export interface Manifest {
  version: number;
  /** In the order they were added; compaction removes some. */
  segments: SegmentRef[];
  tombstones: Set<string>;
  settings: string | null;
}

export function emptyManifest(): Manifest {
  return { version: 0, segments: [], tombstones: new Set(), settings: null };
}

/** Applies commits in version order onto `manifest` (not mutated). A gap in versions means a page was skipped. */
export function applyCommits(manifest: Manifest, commits: readonly CommitRecord[]): Manifest {
  let version = manifest.version;
  const segments = new Map<Sha256Hex, SegmentRef>(manifest.segments.map((s) => [s.sha256, s]));
  const tombstones = new Set(manifest.tombstones);
  let settings = manifest.settings;
  for (const commit of commits) {
    if (commit.version <= version) continue;
    if (commit.version !== version + 1) {
      throw new AppError('SYNC_CONFLICT', { detail: `commit ${commit.version} does not follow version ${version}` });
    }
    for (const removed of commit.removedSegments) segments.delete(removed);
    for (const added of commit.addedSegments) if (!segments.has(added.sha256)) segments.set(added.sha256, added);
    for (const id of commit.tombstones) tombstones.add(id);
    if (commit.settings !== null) settings = commit.settings;
    version = commit.version;
  }
  return { version, segments: [...segments.values()], tombstones, settings };
}

/** Manifest bytes: what the vault quota counts (S10). */
export function manifestBytes(manifest: Manifest): number {
  return manifest.segments.reduce((sum, s) => sum + s.size, 0);
}

/** S21: the manifest a server checkpoint stands for (a client at any version below it starts again from this). */
export function manifestFromCheckpoint(checkpoint: ManifestCheckpoint): Manifest {
  return { version: checkpoint.version, segments: [...checkpoint.segments], tombstones: new Set(checkpoint.tombstones), settings: checkpoint.settings };
}

/** S21: the checkpoint a manifest compacts to (the inverse of manifestFromCheckpoint). */
export function checkpointOf(manifest: Manifest): ManifestCheckpoint {
  return { version: manifest.version, segments: [...manifest.segments], tombstones: [...manifest.tombstones], settings: manifest.settings };
}

/**
 * S20: the metadata bytes of a commit as the server stores it: its segment lists, tombstones and settings, as JSON.
 * What the vault quota counts for the commit log.
 */
export function commitMetadataBytes(commit: Pick<CommitRecord, 'addedSegments' | 'removedSegments' | 'tombstones' | 'settings'>): number {
  return (
    utf8Length(JSON.stringify(commit.addedSegments)) +
    utf8Length(JSON.stringify(commit.removedSegments)) +
    utf8Length(JSON.stringify(commit.tombstones)) +
    (commit.settings?.length ?? 0)
  );
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).byteLength;
}
