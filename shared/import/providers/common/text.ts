/** Text clean-up shared by the adapters: line endings, blank checks, titles, and a small HTML-to-text converter. */

export function cleanText(text: string): string {
  return text.replace(/\r\n?/g, '\n').trim();
}

export function isBlank(text: string | null | undefined): boolean {
  return text === null || text === undefined || text.trim() === '';
}

/** A one-line title from the start of a prompt. */
export function titleFrom(text: string, max = 80): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1).trimEnd()}…`;
}

/** The kind of an attachment judged from its file name or MIME type. */
export function attachmentKind(name: string, mimeType: string | null): 'file' | 'image' | 'audio' | 'other' {
  const probe = `${mimeType ?? ''} ${name}`.toLowerCase();
  if (/image\/|\.(png|jpe?g|gif|webp|heic|bmp|svg)\b/.test(probe)) return 'image';
  if (/audio\/|\.(mp3|m4a|wav|ogg|webm|flac)\b/.test(probe)) return 'audio';
  return 'file';
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  emsp: ' ',
  ensp: ' ',
  thinsp: ' ',
  ndash: '–',
  mdash: '—',
  hellip: '…',
  laquo: '«',
  raquo: '»',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  bull: '•',
  middot: '·',
  copy: '©',
  reg: '®',
  trade: '™',
  deg: '°',
  times: '×',
  euro: '€',
};

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/**
 * HTML (Gemini's answers) to markdown-ish text with plain string code: paragraphs, line breaks, lists, headings,
 * bold/italic, inline code, fenced code blocks, links and entities. Scripts and styles are dropped.
 */
export function htmlToText(html: string): string {
  const fences: string[] = [];
  let text = html
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<(script|style|template)\b[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<pre\b[^>]*>([\s\S]*?)<\/pre\s*>/gi, (_whole, body: string) => {
      const code = decodeEntities(body.replace(/<br\s*\/?>/gi, '\n').replace(/<[^>]+>/g, '')).replace(/\n+$/, '');
      fences.push(`\n\n\`\`\`\n${code}\n\`\`\`\n\n`);
      return `\u0000${fences.length - 1}\u0000`;
    });
  // Lists: remember ordered-list counters while walking the tags in order.
  const listStack: { ordered: boolean; next: number }[] = [];
  text = text.replace(/<(\/?)(ul|ol|li)\b[^>]*>/gi, (_whole, closing: string, tag: string) => {
    const name = tag.toLowerCase();
    if (name === 'li') {
      if (closing) return '';
      const list = listStack[listStack.length - 1];
      const indent = '  '.repeat(Math.max(0, listStack.length - 1));
      if (list?.ordered) return `\n${indent}${list.next++}. `;
      return `\n${indent}- `;
    }
    if (closing) listStack.pop();
    else listStack.push({ ordered: name === 'ol', next: 1 });
    return '\n';
  });
  text = text
    .replace(/<h([1-6])\b[^>]*>/gi, (_whole, level: string) => `\n\n${'#'.repeat(Number(level))} `)
    .replace(/<\/h[1-6]\s*>/gi, '\n\n')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/?(p|div|section|article|blockquote|table|thead|tbody|tr|hr)\b[^>]*>/gi, '\n\n')
    .replace(/<\/?(td|th)\b[^>]*>/gi, ' ')
    .replace(/<\/?(b|strong)\b[^>]*>/gi, '**')
    .replace(/<\/?(i|em)\b[^>]*>/gi, '_')
    .replace(/<\/?code\b[^>]*>/gi, '`')
    .replace(/<a\b[^>]*?href\s*=\s*(["'])(.*?)\1[^>]*>([\s\S]*?)<\/a\s*>/gi, (_whole, _q: string, href: string, label: string) => {
      const inner = label.replace(/<[^>]+>/g, '').trim();
      return inner === '' || inner === href ? href : `[${inner}](${href})`;
    })
    .replace(/<[^>]+>/g, '');
  text = decodeEntities(text)
    .replace(/[ \t\f\v\u00a0]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n');
  text = text.replace(/\u0000(\d+)\u0000/g, (_whole, index: string) => fences[Number(index)] ?? '').replace(/\n{3,}/g, '\n\n');
  return text.trim();
}
