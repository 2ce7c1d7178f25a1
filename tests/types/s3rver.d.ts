// @20minutes/s3rver ships no types: the part of its API the dev server and tests use.
declare module '@20minutes/s3rver' {
  interface S3rverBucketConfig {
    name: string;
    configs: (string | Buffer)[];
  }
  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: S3rverBucketConfig[];
    serviceEndpoint?: string;
  }
  export default class S3rver {
    constructor(options?: S3rverOptions);
    run(): Promise<{ address: string; port: number; family: string }>;
    close(): Promise<void>;
  }
}
