// Pure protocol helpers: manifest replay (SPEC S6, S7, S11) and the wire shapes (S1, S12).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { sha256Hex } from '../../shared/sync/hash';
import { applyCommits, emptyManifest, manifestBytes } from '../../shared/sync/manifest';
import { commitRequestSchema, sha256HexSchema, wrappedKeySchema, type CommitRecord } from '../../shared/sync/protocol';

const hashArb = fc.integer({ min: 0, max: 15 }).map((n) => n.toString(16).repeat(64));
const commitArb: fc.Arbitrary<CommitSpec> = fc.record({
  added: fc.array(fc.tuple(hashArb, fc.integer({ min: 0, max: 1000 })), { maxLength: 4 }),
  removed: fc.array(hashArb, { maxLength: 3 }),
  tombstones: fc.array(fc.string({ minLength: 1, maxLength: 4 }), { maxLength: 3 }),
  settings: fc.option(fc.base64String({ maxLength: 12 }), { nil: null }),
});

type CommitSpec = { added: [string, number][]; removed: string[]; tombstones: string[]; settings: string | null };

function toCommits(specs: CommitSpec[]): CommitRecord[] {
  // A hash names one size forever (content addressing), so the size follows from the hash.
  return specs.map((spec, i) => ({
    version: i + 1,
    deviceId: 'd',
    addedSegments: spec.added.map(([sha256]) => ({ sha256, size: parseInt(sha256[0] ?? '0', 16) * 10 })),
    removedSegments: spec.removed,
    tombstones: spec.tombstones,
    settings: spec.settings,
    createdAt: i,
  }));
}

describe('S11: replaying the commit log', () => {
  it('paging through commits gives the same manifest as replaying them at once (seeded)', () => {
    fc.assert(
      fc.property(fc.array(commitArb, { maxLength: 12 }), fc.integer({ min: 0, max: 12 }), (specs, cut) => {
        const commits = toCommits(specs);
        const whole = applyCommits(emptyManifest(), commits);
        const paged = applyCommits(applyCommits(emptyManifest(), commits.slice(0, cut)), commits.slice(cut));
        expect(paged).toEqual(whole);
        // Re-applying commits the device already has changes nothing.
        expect(applyCommits(whole, commits)).toEqual(whole);
        expect(new Set(whole.segments.map((s) => s.sha256)).size).toBe(whole.segments.length);
      }),
      { seed: 20261121, numRuns: 300 },
    );
  });

  it('S6: removals apply before additions; compaction keeps order and bytes', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((x) => x.repeat(64)) as [string, string, string];
    const m = applyCommits(emptyManifest(), [
      { version: 1, deviceId: 'd', addedSegments: [{ sha256: a, size: 5 }, { sha256: b, size: 7 }], removedSegments: [], tombstones: [], settings: null, createdAt: 1 },
      { version: 2, deviceId: 'd', addedSegments: [{ sha256: c, size: 11 }, { sha256: a, size: 5 }], removedSegments: [a, b], tombstones: ['n1'], settings: 'czE=', createdAt: 2 },
    ]);
    expect(m.segments.map((s) => s.sha256)).toEqual([c, a]);
    expect(manifestBytes(m)).toBe(16);
    expect(m).toMatchObject({ version: 2, settings: 'czE=' });
    expect([...m.tombstones]).toEqual(['n1']);
  });

  it('a gap in versions (a skipped page) is refused instead of silently losing commits', () => {
    const commits = toCommits([{ added: [], removed: [], tombstones: [], settings: null }, { added: [], removed: [], tombstones: [], settings: null }]);
    expect(() => applyCommits(emptyManifest(), commits.slice(1))).toThrow(AppError);
  });
});

describe('wire shapes', () => {
  it('S1: hashes are 64 lowercase hex characters, as sha256Hex produces', async () => {
    const hash = await sha256Hex(new TextEncoder().encode('abc'));
    expect(hash).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256HexSchema.safeParse(hash).success).toBe(true);
    expect(sha256HexSchema.safeParse(hash.toUpperCase()).success).toBe(false);
    expect(sha256HexSchema.safeParse(hash.slice(1)).success).toBe(false);
  });

  it('a commit request fills defaults for optional parts and refuses more than 1000 segments', () => {
    expect(commitRequestSchema.parse({ baseVersion: 0, deviceId: 'd', addedSegments: [] })).toEqual({
      baseVersion: 0, deviceId: 'd', addedSegments: [], removedSegments: [], tombstones: [], settings: null, stats: null,
    });
    expect(commitRequestSchema.safeParse({ baseVersion: 0, deviceId: 'd', addedSegments: Array(1001).fill('a'.repeat(64)) }).success).toBe(false);
  });

  it('S12: a wrapped key is ciphertext with its KDF parameters, nothing else', () => {
    const key = { version: 1, kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations: 600000 }, salt: 'A'.repeat(22) + '==', iv: 'A'.repeat(16), ciphertext: 'A'.repeat(64) };
    expect(wrappedKeySchema.safeParse(key).success).toBe(true);
    expect(wrappedKeySchema.safeParse({ ...key, iv: 'A'.repeat(12) }).success).toBe(false);
    expect(wrappedKeySchema.safeParse({ ...key, version: 2 }).success).toBe(false);
  });
});
