/**
 * A rough strength estimate for a sync passphrase (C23), shown as a meter while the person types. It estimates
 * guessing entropy from length and the kinds of characters, and discounts repeats and runs ("aaaa", "1234"); it is a
 * nudge, not a proof. Setup asks for at least `MIN_PASSPHRASE_BITS` and `MIN_PASSPHRASE_LENGTH`.
 *
 *   passphraseStrength(text): { bits, level: 0-3, label }
 */
export const MIN_PASSPHRASE_LENGTH = 12;
export const MIN_PASSPHRASE_BITS = 60;

const LABELS = ['Weak', 'Fair', 'Good', 'Strong'] as const;

export interface PassphraseStrength {
  bits: number;
  level: 0 | 1 | 2 | 3;
  label: (typeof LABELS)[number];
  acceptable: boolean;
}

export function passphraseStrength(text: string): PassphraseStrength {
  const chars = [...text.normalize('NFC')];
  let pool = 0;
  if (chars.some((c) => /[a-z]/.test(c))) pool += 26;
  if (chars.some((c) => /[A-Z]/.test(c))) pool += 26;
  if (chars.some((c) => /[0-9]/.test(c))) pool += 10;
  if (chars.some((c) => /\s/.test(c))) pool += 1;
  if (chars.some((c) => /[^a-zA-Z0-9\s]/.test(c))) pool += 33;
  // Each character after a repeat or a one-step run adds little.
  let effective = 0;
  chars.forEach((c, i) => {
    const prev = chars[i - 1];
    const step = prev === undefined ? null : (c.codePointAt(0) ?? 0) - (prev.codePointAt(0) ?? 0);
    effective += step === 0 || step === 1 || step === -1 ? 0.25 : 1;
  });
  const bits = Math.round(effective * Math.log2(Math.max(pool, 1)));
  const level = bits < 40 ? 0 : bits < MIN_PASSPHRASE_BITS ? 1 : bits < 90 ? 2 : 3;
  return { bits, level, label: LABELS[level], acceptable: chars.length >= MIN_PASSPHRASE_LENGTH && bits >= MIN_PASSPHRASE_BITS };
}
