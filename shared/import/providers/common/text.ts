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
 * `html` with every `<...>` (a `<`, at least one character, up to the first `>`) replaced, as
 * `html.replace(/<[^>]+>/g, replacement)` would, in linear time: that regular expression rescans to the end of
 * the text from every `<` when no `>` follows (quadratic on `<<<<…`).
 */
export function stripTags(html: string, replacement: string): string {
  const parts: string[] = [];
  let from = 0;
  for (let at = html.indexOf('<'); at !== -1; at = html.indexOf('<', at + 1)) {
    if (at + 1 >= html.length || html[at + 1] === '>') continue;
    const end = html.indexOf('>', at + 1);
    if (end === -1) break;
    parts.push(html.slice(from, at), replacement);
    from = end + 1;
    at = end;
  }
  parts.push(html.slice(from));
  return parts.join('');
}

/** One piece of markup: `<` and a letter, `/`, `!` or `?`, up to the first `>` after it, or a whole `<!-- -->` comment. */
interface Tag {
  readonly start: number;
  /** Just after the closing `>`. */
  readonly end: number;
  readonly closing: boolean;
  /** Lower-cased name ('' for comments and odd markup such as `<!DOCTYPE` or `< b>`). */
  readonly name: string;
  readonly comment: boolean;
}

const NAME_CHAR = /[A-Za-z0-9_]/;
const TAG_START = /[A-Za-z/!?]/;

/**
 * The tags of an HTML string in order, each character looked at a bounded number of times: a failed search for
 * `>` or `-->` is remembered, so a text full of `<` or `<!--` with nothing closing them stays linear.
 */
function* tagsOf(html: string): Generator<Tag> {
  let noCommentEnd = false;
  for (let at = html.indexOf('<'); at !== -1; ) {
    // A `<` before a space, a digit or another `<` is text (as in a browser), not the start of a tag.
    if (!TAG_START.test(html[at + 1] ?? '')) {
      at = html.indexOf('<', at + 1);
      continue;
    }
    if (!noCommentEnd && html.startsWith('<!--', at)) {
      const close = html.indexOf('-->', at + 4);
      if (close !== -1) {
        yield { start: at, end: close + 3, closing: false, name: '', comment: true };
        at = html.indexOf('<', close + 3);
        continue;
      }
      noCommentEnd = true;
    }
    const end = html.indexOf('>', at + 1);
    if (end === -1) return;
    const closing = html[at + 1] === '/';
    let nameEnd = at + (closing ? 2 : 1);
    while (nameEnd < end && NAME_CHAR.test(html[nameEnd] as string)) nameEnd += 1;
    yield { start: at, end: end + 1, closing, name: html.slice(at + (closing ? 2 : 1), nameEnd).toLowerCase(), comment: false };
    at = html.indexOf('<', end + 1);
  }
}

const BREAK = /^<br\s*\/?>$/i;
/** A closing tag with nothing but spaces after its name, as the converter requires to end a link, code block or script. */
const PLAIN_CLOSE = /^<\/[A-Za-z0-9_]+\s*>$/;
const HEADING = /^h[1-6]$/;
const DROPPED = new Set(['script', 'style', 'template']);
const BLOCKS = new Set(['p', 'div', 'section', 'article', 'blockquote', 'table', 'thead', 'tbody', 'tr', 'hr']);
const CELLS = new Set(['td', 'th']);
const LISTS = new Set(['ul', 'ol', 'li']);
const HREF = /href\s*=\s*(["'])/i;

function isPlainClose(html: string, tag: Tag, name: string): boolean {
  return tag.closing && tag.name === name && PLAIN_CLOSE.test(html.slice(tag.start, tag.end));
}

/** The link target of an `<a ...>` tag: the first quoted href, on one line. */
function hrefOf(tagText: string): string | null {
  const match = HREF.exec(tagText);
  if (!match) return null;
  const from = match.index + match[0].length;
  const to = tagText.indexOf(match[1] as string, from);
  if (to === -1) return null;
  const href = tagText.slice(from, to);
  return /[\n\r\u2028\u2029]/.test(href) ? null : href;
}

/** Drops trailing line breaks (a loop: `/\n+$/` is quadratic on a long run of them followed by text). */
function trimTrailingNewlines(text: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === '\n') end -= 1;
  return text.slice(0, end);
}

/**
 * HTML (Gemini's answers) to markdown-ish text with plain string code: paragraphs, line breaks, lists, headings,
 * bold/italic, inline code, fenced code blocks, links and entities. Scripts, styles and comments are dropped.
 * One pass over the tags, linear in the input (hostile answers once took minutes through backtracking regexes);
 * an element that needs its closing tag (link, code block, script) is treated as one only when that tag follows.
 */
export function htmlToText(html: string): string {
  const lastClose = new Map<string, number>();
  for (const tag of tagsOf(html)) if (tag.closing && PLAIN_CLOSE.test(html.slice(tag.start, tag.end))) lastClose.set(tag.name, tag.start);
  const closedLater = (name: string, tag: Tag): boolean => (lastClose.get(name) ?? -1) >= tag.end;

  const fences: string[] = [];
  const listStack: { ordered: boolean; next: number }[] = [];
  let parts: string[] = [];
  let dropping: string | null = null;
  let pre: string[] | null = null;
  let link: { href: string; outer: string[] } | null = null;
  const closePre = (code: string[]): void => {
    fences.push(`\n\n\`\`\`\n${trimTrailingNewlines(decodeEntities(code.join('')))}\n\`\`\`\n\n`);
    parts.push(`\u0000${fences.length - 1}\u0000`);
  };
  const closeLink = (open: { href: string; outer: string[] }): void => {
    const inner = parts.join('').trim();
    parts = open.outer;
    parts.push(inner === '' || inner === open.href ? open.href : `[${inner}](${open.href})`);
  };
  const markup = (tag: Tag): string => {
    const { name, closing } = tag;
    if (LISTS.has(name)) {
      if (name === 'li') {
        if (closing) return '';
        const list = listStack[listStack.length - 1];
        const indent = '  '.repeat(Math.max(0, listStack.length - 1));
        return list?.ordered ? `\n${indent}${list.next++}. ` : `\n${indent}- `;
      }
      if (closing) listStack.pop();
      else listStack.push({ ordered: name === 'ol', next: 1 });
      return '\n';
    }
    if (HEADING.test(name)) {
      if (!closing) return `\n\n${'#'.repeat(Number(name[1]))} `;
      return PLAIN_CLOSE.test(html.slice(tag.start, tag.end)) ? '\n\n' : '';
    }
    if (name === 'br') return BREAK.test(html.slice(tag.start, tag.end)) ? '\n' : '';
    if (BLOCKS.has(name)) return '\n\n';
    if (CELLS.has(name)) return ' ';
    if (name === 'b' || name === 'strong') return '**';
    if (name === 'i' || name === 'em') return '_';
    if (name === 'code') return '`';
    return '';
  };

  let from = 0;
  for (const tag of tagsOf(html)) {
    const text = html.slice(from, tag.start);
    from = tag.end;
    if (dropping !== null) {
      if (isPlainClose(html, tag, dropping)) dropping = null;
      continue;
    }
    if (pre !== null) pre.push(text);
    else parts.push(text);
    if (tag.comment) continue;
    if (!tag.closing && DROPPED.has(tag.name) && closedLater(tag.name, tag)) {
      dropping = tag.name;
      continue;
    }
    if (pre !== null) {
      if (isPlainClose(html, tag, 'pre')) {
        closePre(pre);
        pre = null;
      } else if (tag.name === 'br' && BREAK.test(html.slice(tag.start, tag.end))) {
        pre.push('\n');
      }
      continue;
    }
    if (!tag.closing && tag.name === 'pre' && closedLater('pre', tag)) {
      pre = [];
      continue;
    }
    if (tag.name === 'a' && link === null && !tag.closing) {
      const href = hrefOf(html.slice(tag.start, tag.end));
      if (href !== null && closedLater('a', tag)) {
        link = { href, outer: parts };
        parts = [];
      }
      continue;
    }
    if (link !== null && isPlainClose(html, tag, 'a')) {
      closeLink(link);
      link = null;
      continue;
    }
    parts.push(markup(tag));
  }
  if (dropping === null) (pre ?? parts).push(html.slice(from));
  // Only reached on odd markup (a closing tag hidden inside a dropped element): keep what was collected.
  if (pre !== null) closePre(pre);
  if (link !== null) parts = [...link.outer, ...parts];

  let text = decodeEntities(parts.join(''))
    .replace(/[ \t\f\v\u00a0]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n');
  text = text.replace(/\u0000(\d+)\u0000/g, (_whole, index: string) => fences[Number(index)] ?? '').replace(/\n{3,}/g, '\n\n');
  return text.trim();
}
