/**
 * A real local S3-compatible server (@20minutes/s3rver, which verifies SigV4) for tests and benchmarks: a free port
 * on 127.0.0.1, a fresh temporary directory, one bucket. Stands in for Backblaze B2.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from '@20minutes/s3rver';

export interface LocalS3 {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Where the objects live on disk (scanned by the no-plaintext check). */
  directory: string;
  /** The env vars the Worker reads (S3_ENDPOINT, ...). */
  env: Record<'S3_ENDPOINT' | 'S3_REGION' | 'S3_BUCKET' | 'S3_ACCESS_KEY_ID' | 'S3_SECRET_ACCESS_KEY', string>;
  close(): Promise<void>;
}

/**
 * The bucket CORS rule a browser needs to use presigned URLs from the PWA's origin (SPEC S8): PUT with the signed
 * hash header, GET. Backblaze B2 needs the same rule on the production bucket.
 */
export function blobCorsXml(allowedOrigins: readonly string[]): string {
  const origins = allowedOrigins.map((o) => `<AllowedOrigin>${o}</AllowedOrigin>`).join('');
  return (
    '<CORSConfiguration><CORSRule>' +
    `${origins}<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>` +
    '<AllowedHeader>x-amz-content-sha256</AllowedHeader><AllowedHeader>content-type</AllowedHeader>' +
    '<MaxAgeSeconds>3600</MaxAgeSeconds></CORSRule></CORSConfiguration>'
  );
}

export async function startLocalS3(bucket = 'cogzy-test', options: { allowedOrigins?: readonly string[] } = {}): Promise<LocalS3> {
  const directory = mkdtempSync(join(tmpdir(), 'cogzy-s3-'));
  const configs = options.allowedOrigins === undefined ? [] : [blobCorsXml(options.allowedOrigins)];
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: [{ name: bucket, configs }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  // s3rver's built-in account: the secret it verifies signatures with.
  const accessKeyId = 'S3RVER';
  const secretAccessKey = 'S3RVER';
  const region = 'us-east-1';
  return {
    endpoint,
    region,
    bucket,
    accessKeyId,
    secretAccessKey,
    directory,
    env: { S3_ENDPOINT: endpoint, S3_REGION: region, S3_BUCKET: bucket, S3_ACCESS_KEY_ID: accessKeyId, S3_SECRET_ACCESS_KEY: secretAccessKey },
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
