/**
 * Text as a person should read it in a snippet: provider citation markers removed and markdown syntax reduced to
 * its words, so "**Step 4**【13†source】" shows as "Step 4".
 *
 *   stripCitations(text): string   // ChatGPT's 【13†source】 / 【4:0†file.pdf】 and private-use cite markers (reader too)
 *   plainText(text): string        // stripCitations + markdown syntax removed (snippets)
 */

/** 【13†source】, 【4:0†report.pdf】; and the newer \ue200cite\ue202turn0search1\ue201 form. */
const CITATION = /【[^】\n]{0,80}†[^】\n]{0,200}】|\ue200[^\ue201\n]{0,200}\ue201/gu;

export function stripCitations(text: string): string {
  return text.replace(CITATION, '');
}

const MARKDOWN: readonly [RegExp, string][] = [
  // Code fences (the code itself stays), headings, quotes, list bullets and numbers, rules: at line starts.
  [/^\s*(```|~~~)[^\n]*$/gmu, ''],
  [/^\s{0,3}#{1,6}\s+/gmu, ''],
  [/^\s{0,3}>\s?/gmu, ''],
  [/^\s*[-*+]\s+(\[[ xX]\]\s+)?/gmu, ''],
  [/^\s*([-*_]\s*){3,}$/gmu, ''],
  // Images and links keep their text; bare emphasis and inline code lose their markers.
  [/!\[([^\]\n]*)\]\([^)\n]*\)/gu, '$1'],
  [/\[([^\]\n]+)\]\([^)\n]*\)/gu, '$1'],
  [/(\*\*|__)(?=\S)([^\n]*?\S)\1/gu, '$2'],
  [/(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?!\w)/gu, '$1$2'],
  [/`([^`\n]+)`/gu, '$1'],
];

export function plainText(text: string): string {
  let out = stripCitations(text);
  for (const [pattern, replacement] of MARKDOWN) out = out.replace(pattern, replacement);
  return out.replace(/\n{3,}/gu, '\n\n');
}
