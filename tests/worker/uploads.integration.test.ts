// Upload (import) records in workerd against migrated D1 (SPEC S13, S15).
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { uploadListResponseSchema, uploadRecordSchema } from '../../shared/sync/protocol';
import { ApiClient, appFetch, expectError, logIn, signUp } from './helpers';

const newUpload = { deviceId: 'phone-1', provider: 'chatgpt', fileName: 'chatgpt-export.zip', bytes: 52_428_800 };

describe('S13: upload records', () => {
  it('a device reports an import and its progress; another device of the same user lists it', async () => {
    const { client, email, password } = await signUp();
    const created = await client.json('POST', '/api/uploads', { json: newUpload });
    expect(created.status).toBe(201);
    const record = uploadRecordSchema.parse(created.body);
    expect(record).toMatchObject({ ...newUpload, status: 'pending', progress: 0, counts: { conversations: 0, nodesCreated: 0, nodesDeduplicated: 0 }, errorCode: null });

    const progress = await client.json('PATCH', `/api/uploads/${record.id}`, { json: { status: 'processing', progress: 0.5 } });
    expect(uploadRecordSchema.parse(progress.body)).toMatchObject({ status: 'processing', progress: 0.5 });
    const done = await client.json('PATCH', `/api/uploads/${record.id}`, {
      json: { status: 'complete', progress: 1, counts: { conversations: 12, nodesCreated: 340, nodesDeduplicated: 7 } },
    });
    expect(uploadRecordSchema.parse(done.body)).toMatchObject({ status: 'complete', progress: 1, counts: { conversations: 12, nodesCreated: 340, nodesDeduplicated: 7 } });

    const laptop = new ApiClient();
    const login = { body: await (await logIn(laptop, email, password)).json<{ token: string }>() };
    laptop.token = login.body.token;
    const listed = uploadListResponseSchema.parse((await laptop.json('GET', '/api/uploads')).body);
    expect(listed.uploads).toHaveLength(1);
    expect(listed.uploads[0]).toMatchObject({ id: record.id, deviceId: 'phone-1', status: 'complete', counts: { nodesCreated: 340 } });
  });

  it('a failed import keeps its error code; the most recently updated records come first', async () => {
    // A clock that moves a second per request, so "most recent" never depends on two requests sharing a millisecond.
    let now = Date.now();
    const { client } = await signUp({ fetch: appFetch({ now: () => (now += 1000) }) });
    const first = uploadRecordSchema.parse((await client.json('POST', '/api/uploads', { json: { ...newUpload, fileName: 'first.zip' } })).body);
    await client.json('POST', '/api/uploads', { json: { ...newUpload, fileName: 'second.zip' } });
    const failed = await client.json('PATCH', `/api/uploads/${first.id}`, { json: { status: 'failed', errorCode: 'IMPORT_TRUNCATED_ZIP' } });
    expect(uploadRecordSchema.parse(failed.body)).toMatchObject({ status: 'failed', errorCode: 'IMPORT_TRUNCATED_ZIP' });
    const listed = uploadListResponseSchema.parse((await client.json('GET', '/api/uploads')).body);
    expect(listed.uploads.map((u) => u.fileName)).toEqual(['first.zip', 'second.zip']);
  });

  it('bad bodies are refused', async () => {
    const { client } = await signUp();
    await expectError(await client.call('POST', '/api/uploads', { json: { ...newUpload, provider: 'myspace' } }), 400, 'VALIDATION_FAILED');
    await expectError(await client.call('POST', '/api/uploads', { json: { ...newUpload, bytes: -1 } }), 400, 'VALIDATION_FAILED');
    const record = uploadRecordSchema.parse((await client.json('POST', '/api/uploads', { json: newUpload })).body);
    await expectError(await client.call('PATCH', `/api/uploads/${record.id}`, { json: { progress: 1.5 } }), 400, 'VALIDATION_FAILED');
    await expectError(await client.call('PATCH', `/api/uploads/${record.id}`, { json: {} }), 400, 'VALIDATION_FAILED');
    await expectError(await client.call('PATCH', `/api/uploads/${record.id}`, { json: { errorCode: 'MADE_UP' } }), 400, 'VALIDATION_FAILED');
    await expectError(await client.call('PATCH', '/api/uploads/not-a-uuid', { json: { progress: 1 } }), 400, 'VALIDATION_FAILED');
  });

  it('S15: another user cannot see or change my records, and gets 404 as for an unknown id', async () => {
    const alice = await signUp();
    const bob = await signUp();
    const record = uploadRecordSchema.parse((await alice.client.json('POST', '/api/uploads', { json: newUpload })).body);
    await expectError(await bob.client.call('PATCH', `/api/uploads/${record.id}`, { json: { status: 'cancelled' } }), 404, 'NOT_FOUND');
    await expectError(await bob.client.call('PATCH', `/api/uploads/${crypto.randomUUID()}`, { json: { status: 'cancelled' } }), 404, 'NOT_FOUND');
    expect(uploadListResponseSchema.parse((await bob.client.json('GET', '/api/uploads')).body).uploads).toEqual([]);
    const alices = uploadListResponseSchema.parse((await alice.client.json('GET', '/api/uploads')).body).uploads;
    expect(alices[0]).toMatchObject({ id: record.id, status: 'pending' });
  });

  it('needs a session', async () => {
    await expectError(await new ApiClient().call('GET', '/api/uploads'), 401, 'UNAUTHENTICATED');
    await expectError(await new ApiClient().call('POST', '/api/uploads', { json: newUpload }), 401, 'UNAUTHENTICATED');
    await expectError(await new ApiClient().call('PATCH', `/api/uploads/${crypto.randomUUID()}`, { json: { progress: 1 } }), 401, 'UNAUTHENTICATED');
  });

  it('S13: a user keeps at most 500 records; a new one drops the oldest finished one, and is refused when all are in progress', async () => {
    let now = Date.now();
    const { client, user } = await signUp({ fetch: appFetch({ now: () => (now += 1000) }) });
    const stored = async () => {
      const { results } = await env.DB.prepare('SELECT id FROM uploads WHERE user_id = ?').bind(user.id).all<{ id: string }>();
      return new Set(results.map((row) => row.id));
    };
    const ids: string[] = [];
    for (let batch = 0; batch < 10; batch += 1) {
      const created = await Promise.all(Array.from({ length: 50 }, () => client.json('POST', '/api/uploads', { json: newUpload })));
      ids.push(...created.map((res) => uploadRecordSchema.parse(res.body).id));
    }
    // Two imports finish: the one finished first is the first to go.
    const [finishedFirst, finishedLater] = [ids[300]!, ids[10]!];
    expect((await client.call('PATCH', `/api/uploads/${finishedFirst}`, { json: { status: 'complete', progress: 1 } })).status).toBe(200);
    expect((await client.call('PATCH', `/api/uploads/${finishedLater}`, { json: { status: 'failed', errorCode: 'IMPORT_CORRUPT_ZIP' } })).status).toBe(200);

    const next = await client.json('POST', '/api/uploads', { json: { ...newUpload, fileName: 'next.zip' } });
    expect(next.status).toBe(201);
    let rows = await stored();
    expect(rows.size).toBe(500);
    expect([rows.has(finishedFirst), rows.has(finishedLater), rows.has(uploadRecordSchema.parse(next.body).id)]).toEqual([false, true, true]);

    expect((await client.call('POST', '/api/uploads', { json: newUpload })).status).toBe(201);
    rows = await stored();
    expect([rows.size, rows.has(finishedLater)]).toEqual([500, false]);

    // Every record left is pending: nothing may be dropped, so the new one is refused and nothing changes.
    await expectError(await client.call('POST', '/api/uploads', { json: newUpload }), 409, 'TOO_MANY_ACTIVE_UPLOADS');
    expect(await stored()).toEqual(rows);
  });
});
