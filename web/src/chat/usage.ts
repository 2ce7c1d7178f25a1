/**
 * Today's ask-memory usage on the Cogzy cloud plan, shared by the header badge, the Ask page and Settings: one signal
 * that every fresh figure (GET /api/usage, or the usage headers of a /api/chat answer) updates. Small on purpose:
 * the header loads it on every page.
 *
 *   fetchUsage(): Promise<Usage | null>     GET /api/usage (null when not signed in); updates the signal
 *   usageNow(): Usage | null                the last figure seen (null: unknown or signed out)
 *   noteUsage(usage | null)                 a figure from elsewhere (chat answer headers, sign-out)
 *   apiError(response): Promise<AppError>   the Worker's error envelope as an AppError
 */
import { createSignal } from 'solid-js';
import { z } from 'zod';
import { AppError, errorEnvelopeSchema } from '../../../shared/errors';

export interface Usage {
  tier: 'free' | 'premium';
  used: number;
  /** null: unlimited. */
  limit: number | null;
  resetsAt: string;
}

const usageSchema = z.object({
  tier: z.enum(['free', 'premium']),
  messages: z.object({ used: z.number(), limit: z.number().nullable(), resetsAt: z.string() }),
});

const [usageNow, setUsageNow] = createSignal<Usage | null>(null);
export { usageNow };

export function noteUsage(usage: Usage | null): void {
  setUsageNow(usage);
}

export async function apiError(response: Response): Promise<AppError> {
  const envelope = errorEnvelopeSchema.safeParse(await response.json().catch(() => null));
  return envelope.success ? AppError.fromData(envelope.data.error) : new AppError(response.status === 401 ? 'UNAUTHENTICATED' : 'INTERNAL', { detail: `status ${response.status}` });
}

/** Today's usage, or null when not signed in. */
export async function fetchUsage(): Promise<Usage | null> {
  let response: Response;
  try {
    response = await fetch('/api/usage', { credentials: 'same-origin' });
  } catch (error) {
    throw new AppError('OFFLINE', { cause: error });
  }
  if (response.status === 401) {
    setUsageNow(null);
    return null;
  }
  if (!response.ok) throw await apiError(response);
  const body = usageSchema.parse(await response.json());
  const usage: Usage = { tier: body.tier, used: body.messages.used, limit: body.messages.limit, resetsAt: body.messages.resetsAt };
  setUsageNow(usage);
  return usage;
}

/** "01:00": the reset time (UTC midnight) in the person's own time zone. */
export function resetTime(usage: Usage): string {
  return new Date(usage.resetsAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
