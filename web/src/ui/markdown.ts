/**
 * Markdown → safe HTML for the reader. Exports hold whatever the model and the person typed (including HTML and
 * script-looking text), so every rendering goes through DOMPurify after marked. Code is highlighted with
 * highlight.js core and a handful of common languages to keep the bundle small.
 */
import { Marked, type Tokens } from 'marked';
import DOMPurify from 'dompurify';
import { stripCitations } from '../search/display-text';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import css from 'highlight.js/lib/languages/css';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';

const languages = { bash, css, go, java, javascript, json, python, rust, sql, typescript, xml, yaml };
for (const [name, lang] of Object.entries(languages)) hljs.registerLanguage(name, lang);
hljs.registerAliases(['sh', 'shell', 'zsh'], { languageName: 'bash' });
hljs.registerAliases(['js', 'jsx', 'mjs'], { languageName: 'javascript' });
hljs.registerAliases(['ts', 'tsx'], { languageName: 'typescript' });
hljs.registerAliases(['py'], { languageName: 'python' });
hljs.registerAliases(['html', 'svg'], { languageName: 'xml' });
hljs.registerAliases(['yml'], { languageName: 'yaml' });

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function highlight(code: string, lang: string | undefined): { html: string; language: string | null } {
  const name = lang?.trim().split(/\s+/)[0]?.toLowerCase();
  if (name && hljs.getLanguage(name)) return { html: hljs.highlight(code, { language: name, ignoreIllegals: true }).value, language: name };
  // Auto-detection over a dozen languages is cheap; very long blocks are left plain to keep the reader responsive.
  if (code.length < 20_000) {
    const auto = hljs.highlightAuto(code);
    if (auto.relevance >= 5 && auto.language) return { html: auto.value, language: auto.language };
  }
  return { html: escapeHtml(code), language: null };
}

const marked = new Marked({
  gfm: true,
  breaks: true,
  renderer: {
    code({ text, lang }: Tokens.Code): string {
      const { html, language } = highlight(text, lang);
      const label = language ? `<span class="code-lang">${escapeHtml(language)}</span>` : '';
      return `<pre class="code-block">${label}<code class="hljs${language ? ` language-${escapeHtml(language)}` : ''}">${html}</code></pre>`;
    },
  },
});

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  // Links from exports open outside the app and carry no referrer.
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

/**
 * Renders markdown to sanitized HTML (no scripts, no event handlers, no iframes, no remote images). Provider
 * citation markers (【13†source】) point at sources the export does not carry, so they are dropped.
 */
export function renderMarkdown(source: string): string {
  const html = marked.parse(stripCitations(source), { async: false });
  const fragment = DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['style', 'form', 'input', 'button'],
    RETURN_DOM_FRAGMENT: true,
  });
  // Images in an export point at the provider's servers (or nowhere, offline): loading them would tell a third
  // party what the person is reading. Show their description instead.
  for (const img of fragment.querySelectorAll('img')) {
    const label = document.createElement('span');
    label.className = 'image-placeholder';
    label.textContent = `[image${img.alt ? `: ${img.alt}` : ''}]`;
    img.replaceWith(label);
  }
  const box = document.createElement('div');
  box.append(fragment);
  return box.innerHTML;
}
