import { describe, expect, it } from 'vitest';
import { AppError, ERROR_CODES, ERROR_MESSAGES, appErrorDataSchema, toAppError } from '../../shared/errors';

describe('error vocabulary', () => {
  it('gives every code a full sentence that tells the person what happened', () => {
    for (const code of ERROR_CODES) {
      const message = ERROR_MESSAGES[code];
      expect(message.length, code).toBeGreaterThan(20);
      expect(message, code).toMatch(/^[A-Z].*[.!]$/s);
    }
  });

  it('round-trips through its wire form', () => {
    const error = new AppError('IMPORT_TRUNCATED_JSON', { detail: 'at byte 1234' });
    const data = appErrorDataSchema.parse(JSON.parse(JSON.stringify(error.toData())));
    const back = AppError.fromData(data);
    expect(back.code).toBe('IMPORT_TRUNCATED_JSON');
    expect(back.message).toBe(ERROR_MESSAGES.IMPORT_TRUNCATED_JSON);
    expect(back.detail).toBe('at byte 1234');
  });

  it('turns unknown throwables into INTERNAL without losing the detail', () => {
    const error = toAppError(new TypeError('boom'));
    expect(error.code).toBe('INTERNAL');
    expect(error.detail).toBe('TypeError: boom');
  });
});
