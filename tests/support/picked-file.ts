/** A file as the app's import pipeline gets it from a picker, from text or bytes, handed out in small chunks as a
 * browser does for a large file (so an import makes many batches). */
import type { ImportFileInput } from '../../web/src/import/pipeline';

export function pickedFile(content: string | Uint8Array, name = 'conversations.json', chunkBytes = 8 * 1024): ImportFileInput {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  return {
    name,
    size: bytes.length,
    stream: () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < bytes.length; at += chunkBytes) controller.enqueue(bytes.slice(at, at + chunkBytes));
          controller.close();
        },
      }),
  };
}
