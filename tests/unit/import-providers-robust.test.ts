/**
 * Adapters never throw: any JSON value as a record (or any text) is read or skipped with a counted reason; a text
 * document may fail as a whole only with an error code of its own.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../shared/errors';
import type { ParseContext } from '../../shared/import/provider';
import { chatgptAdapter } from '../../shared/import/providers/chatgpt';
import { claudeAdapter } from '../../shared/import/providers/claude';
import { copilotAdapter } from '../../shared/import/providers/copilot';
import { deepseekAdapter } from '../../shared/import/providers/deepseek';
import { geminiAdapter } from '../../shared/import/providers/gemini';
import { geminiHtmlAdapter } from '../../shared/import/providers/gemini-html';
import { grokAdapter } from '../../shared/import/providers/grok';

const quiet: ParseContext = { source: 'fuzz', skip: () => undefined, warn: () => undefined };

// Values shaped like the exports (so the fuzz reaches deep code), with any JSON in any slot.
const loose = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom('human', 'assistant', 'ASSISTANT', 'REQUEST', 'RESPONSE', 'THINK', 'tool_use', 'tool_result', 'text', 'Prompted x', 'Gemini Apps', '2026-01-01T00:00:00Z', '00000000-0000-4000-8000-000000000000', 'm1', 'user', 'system', 'tool', 'multimodal_text', 'thoughts', 'code'),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.constantFrom('uuid', 'sender', 'text', 'content', 'type', 'chat_messages', 'parent_message_uuid', 'attachments', 'files', 'docs', 'conversation', 'responses', 'response', '_id', 'parent_response_id', 'message', 'create_time', 'leaf_response_id', 'mapping', 'fragments', 'parent', 'header', 'title', 'time', 'safeHtmlItem', 'html', 'subtitles', 'id', 'input', 'tool_use_id', 'conversations_memory', 'project_memories', '$date', '$numberLong', 'children', 'current_node', 'author', 'role', 'parts', 'content_type', 'recipient', 'metadata', 'is_visually_hidden_from_conversation'),
      tie('value'),
      { maxKeys: 6 },
    ),
  ),
})).value;

describe('adapters never throw', () => {
  for (const adapter of [chatgptAdapter, claudeAdapter, geminiAdapter, grokAdapter, deepseekAdapter]) {
    it(`${adapter.provider}: any records, any paths`, () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.constantFrom('', 'conversations', 'projects', 'docs', 'chat_messages', 'conversations_memory'), fc.boolean(), loose), { maxLength: 6 }), (records) => {
          const consumer = adapter.createJsonConsumer?.(quiet);
          expect(consumer).toBeDefined();
          records.forEach(([path, inArray, value], index) => {
            adapter.detectJson?.({ path, index, value, raw: JSON.stringify(value) ?? 'null', inArray }, path === '' ? 'array' : 'object');
            consumer?.push({ path, index, value, raw: JSON.stringify(value) ?? 'null', inArray });
          });
          consumer?.end();
        }),
        { numRuns: 300, seed: 3 },
      );
    });
  }

  it('copilot and gemini-html: any text', () => {
    const csvish = fc.array(fc.constantFrom('Conversation,Time,Author,Message\n', 'Timestamp,ClientApp,Prompt\n', '"', ',', '\n', '\r\n', 'user', 'AI', '2026-01-01T10:00:00', '\ufeff', 'x'), { maxLength: 40 }).map((parts) => parts.join(''));
    const htmlish = fc.array(fc.constantFrom('<div class="outer-cell', '<div class="header-cell x">', 'Gemini Apps', '</div>', '<div class="content-cell mdl-typography--body-1">', 'Prompted&nbsp;hi', '<br>', 'Mar 10, 2026, 6:00:00 PM UTC', '<p>', '&amp;', '<a href="u">f</a>'), { maxLength: 40 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(csvish, htmlish, fc.string()), (text) => {
        copilotAdapter.detectText?.(text);
        // A CSV may fail as a whole, but only with its own error code (never a stray exception).
        try {
          copilotAdapter.parseText?.(text, quiet);
        } catch (error) {
          expect(isAppError(error) ? error.code : String(error)).toMatch(/^IMPORT_CSV_(UNCLOSED_QUOTE|FIELD_TOO_LARGE)$/);
        }
        geminiHtmlAdapter.detectText?.(text);
        geminiHtmlAdapter.parseText?.(text, quiet);
      }),
      { numRuns: 500, seed: 4 },
    );
  });
});
