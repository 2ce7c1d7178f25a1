/**
 * axe-core (WCAG 2.x A/AA and best practices) in a page, injected from node_modules (works with playwright-core): the
 * serious and critical violations, one line each, also in both themes. Used by the specs that check views (polish, edits, sync).
 */
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';

const AXE = resolve(import.meta.dirname, '../../node_modules/axe-core/axe.min.js');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/** Runs axe-core (WCAG 2.x A/AA and best practices) on the page and returns the serious and critical violations. */
export async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: unknown[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations;
  });
  return (violations as AxeViolation[])
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact ?? ''}, ${v.nodes.length} nodes): ${v.help}; first: ${JSON.stringify(v.nodes[0]?.target)} ${v.nodes[0]?.failureSummary ?? ''}`);
}

/** The violations of the page as it is now, in light then dark (the theme is left light). */
export async function seriousViolationsInBothThemes(page: Page, label: string): Promise<string[]> {
  const found: string[] = [];
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme });
    for (const v of await seriousViolations(page)) found.push(`${theme} ${label}: ${v}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return found;
}
