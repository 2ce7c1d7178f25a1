// Each test file starts from an empty, fully migrated D1 (storage is isolated per file; applying is idempotent).
import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
