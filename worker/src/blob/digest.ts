/** Hashing what the store holds (SPEC S4, S8, S17): the server trusts no object it has not hashed itself. */
import { AppError } from '../../../shared/errors';
import { toHex } from '../../../shared/sync/hash';

/** SHA-256 and length of a stream without holding it in memory (workerd's DigestStream). */
export async function digestStream(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<{ sha256: string; size: number }> {
  const digest = new crypto.DigestStream('SHA-256');
  let size = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      size += chunk.byteLength;
      if (size > maxBytes) throw new AppError('PAYLOAD_TOO_LARGE');
      controller.enqueue(chunk);
    },
  });
  await body.pipeThrough(counter).pipeTo(digest);
  return { sha256: toHex(new Uint8Array(await digest.digest)), size };
}
