import { describe, expect, it } from 'vitest';
import { geminiHtmlAdapter, parseActivityDate } from '../../shared/import/providers/gemini-html';
import { counts, runText } from './import-providers-harness';

const card = (header: string, content: string, caption = 'Gemini Apps'): string =>
  `<div class="outer-cell mdl-cell mdl-cell--12-col mdl-shadow--2dp"><div class="mdl-grid"><div class="header-cell mdl-cell mdl-cell--12-col"><p class="mdl-typography--title">${header}<br></p></div><div class="content-cell mdl-cell mdl-cell--6-col mdl-typography--body-1">${content}</div><div class="content-cell mdl-cell mdl-cell--6-col mdl-typography--body-1 mdl-typography--text-right"></div><div class="content-cell mdl-cell mdl-cell--12-col mdl-typography--caption"><b>Products:</b><br>&emsp;${caption}<br></div></div></div>`;

describe('Gemini My Activity HTML', () => {
  it('reads localised dates with zone abbreviations', () => {
    expect(parseActivityDate('Mar 10, 2026, 6:05:00 PM UTC')?.ms).toBe(Date.UTC(2026, 2, 10, 18, 5));
    expect(parseActivityDate('10.03.2026, 18:05:00 MEZ')?.ms).toBe(Date.UTC(2026, 2, 10, 17, 5));
    expect(parseActivityDate('10 juil. 2026, 18:05:00 UTC+2')?.ms).toBe(Date.UTC(2026, 6, 10, 16, 5));
    expect(parseActivityDate('10. März 2026, 18:05:00 MESZ')?.ms).toBe(Date.UTC(2026, 2, 10, 16, 5));
    expect(parseActivityDate('10 de marzo de 2026, 18:05:00 CET')?.ms).toBe(Date.UTC(2026, 2, 10, 17, 5));
    expect(parseActivityDate('Jan 2, 2026, 12:30:00 AM PST')?.ms).toBe(Date.UTC(2026, 0, 2, 8, 30));
    expect(parseActivityDate('Jan 2, 2026, 9:00:00 AM XYZT')).toEqual({ ms: Date.UTC(2026, 0, 2, 9), unknownZone: 'XYZT' });
    expect(parseActivityDate('Prompted What time is it?')).toBeUndefined();
  });

  it('reads prompt cards, attachments and answers, and skips other cards', () => {
    const html = `<html><head><title>My Activity</title></head><body><div class="mdl-grid">${[
      card('Gemini Apps', 'Prompted&nbsp;Summarise &lt;this&gt; file<br>1 file attached. <a href="x">report.pdf</a><br>Mar 10, 2026, 5:20:00 PM UTC<br><p>It says <b>hi</b>.</p><br><p>Second paragraph.</p>'),
      card('Gemini-Apps', 'Eingegebener Prompt: Wie spät ist es?<br>10.03.2026, 18:00:00 MEZ<br><p>17 Uhr.</p>'),
      card('Gemini Apps', 'Gave feedback: Good response<br>Mar 10, 2026, 6:06:00 PM UTC<br>'),
      card('Search', 'Searched for cats<br>Mar 10, 2026, 6:07:00 PM UTC<br>', 'Search'),
      card('Gemini Apps', 'Prompted&nbsp;No date here<br>sometime<br>'),
    ].join('')}</div></body></html>`;
    expect(geminiHtmlAdapter.detectText?.(html)).toBeGreaterThan(0.8);
    const outcome = runText(geminiHtmlAdapter, html);
    expect(counts(outcome)).toEqual({ conversations: 1, active: 2, inactive: 0, skipped: { 'unsupported-record': 2, 'bad-timestamp': 1 }, warnings: { 'html-best-effort': 1 } });
    const [german, english] = outcome.parsed[0]?.nodes ?? [];
    expect(german).toMatchObject({ human: { text: 'Wie spät ist es?' }, assistant: { text: '17 Uhr.' }, createdAt: Date.UTC(2026, 2, 10, 17) });
    expect(english).toMatchObject({ human: { text: 'Summarise <this> file' }, assistant: { text: 'It says **hi**.\n\nSecond paragraph.' } });
    expect(english?.attachments.map((attachment) => attachment.name)).toEqual(['report.pdf']);
  });
});
