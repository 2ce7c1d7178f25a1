/** Fixed-window request counters in D1; the increment and the read are one upsert, so bursts cannot slip through. */
import { z } from 'zod';
import { parseRow } from './rows';

/** Counts a hit for `bucket` in the window containing `now` and returns the count including it. */
export async function hit(db: D1Database, bucket: string, windowMs: number, now: number): Promise<number> {
  const windowStart = now - (now % windowMs);
  const [upsert] = await db.batch([
    db
      .prepare(
        `INSERT INTO rate_limits (bucket, window_start, count) VALUES (?1, ?2, 1)
         ON CONFLICT (bucket, window_start) DO UPDATE SET count = count + 1
         RETURNING count`,
      )
      .bind(bucket, windowStart),
    // Windows before the previous one can never be read again.
    db.prepare('DELETE FROM rate_limits WHERE window_start < ?1').bind(windowStart - windowMs),
  ]);
  return parseRow(z.object({ count: z.number() }), upsert?.results[0], 'rate_limits').count;
}
