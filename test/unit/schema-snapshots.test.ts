import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileSnapshots, layeredSnapshots, parseSnapshot, type SchemaSnapshot } from '../../src/gateway/schema-snapshots.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('schema snapshot stores: an unreadable snapshot is told, not silently dropped', () => {
  const good: SchemaSnapshot = { fingerprint: 'fp', text: 'x', savedAt: 5 };

  it('parseSnapshot: nothing stored, a snapshot, not JSON, not a snapshot', () => {
    expect(parseSnapshot(null)).toBeUndefined();
    expect(parseSnapshot(JSON.stringify(good))).toEqual(good);
    expect(parseSnapshot('{"fingerprint":', 'the key k')).toEqual({ unreadable: expect.stringMatching(/^the key k is not JSON \(/) as unknown });
    expect(parseSnapshot('', 'the key k')).toEqual({ unreadable: expect.stringMatching(/^the key k is not JSON \(/) as unknown });
    expect(parseSnapshot('{"fingerprint":"fp"}', 'the key k')).toEqual({ unreadable: 'the key k is not a schema snapshot (it needs fingerprint, text and savedAt)' });
  });

  it('the file store names the file of a corrupt snapshot, and a missing file is no snapshot', async () => {
    using dir = tempDir();
    const store = createFileSnapshots(dir.path);
    expect(await store.get('pets')).toBeUndefined();
    const file = path.join(dir.path, 'snapshots', 'pets.json');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, '{"fingerprint":"fp","te');
    expect(await store.get('pets')).toEqual({ unreadable: expect.stringContaining(`the snapshot file ${file} is not JSON (`) as unknown });
    mkdirSync(path.join(dir.path, 'snapshots', 'dir.json'));
    expect(await store.get('dir')).toEqual({ unreadable: `the snapshot file ${path.join(dir.path, 'snapshots', 'dir.json')} cannot be read (EISDIR)` });
    // Saving a good one replaces the corrupt file.
    await store.put('pets', good);
    expect(await store.get('pets')).toEqual(good);
  });

  it('layered stores answer the newest readable snapshot, else why the first unreadable one is not', async () => {
    const fixed = (answer: Awaited<ReturnType<ReturnType<typeof createFileSnapshots>['get']>>) => ({ get: async () => answer, put: async () => {} });
    const unreadable = { unreadable: 'the snapshot file f is not JSON (x)' };
    expect(await layeredSnapshots([fixed(unreadable), fixed(good)]).get('pets')).toEqual(good);
    expect(await layeredSnapshots([fixed(undefined), fixed(unreadable)]).get('pets')).toEqual(unreadable);
    expect(await layeredSnapshots([fixed(undefined), fixed(undefined)]).get('pets')).toBeUndefined();
  });
});
