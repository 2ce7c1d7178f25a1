/** Row parsing for repositories: D1 rows are parsed, never cast; a row that does not fit is our bug (INTERNAL). */
import type { z } from 'zod';
import { AppError } from '../../../shared/errors';
import { describeIssues } from '../http/errors';

export function parseRow<Schema extends z.ZodType>(schema: Schema, row: unknown, what: string): z.output<Schema> {
  const result = schema.safeParse(row);
  if (!result.success) throw new AppError('INTERNAL', { detail: `unexpected ${what} row: ${describeIssues(result.error)}` });
  return result.data;
}

export function parseRows<Schema extends z.ZodType>(schema: Schema, rows: readonly unknown[], what: string): z.output<Schema>[] {
  return rows.map((row) => parseRow(schema, row, what));
}
