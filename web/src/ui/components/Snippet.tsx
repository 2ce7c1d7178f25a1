import { For, type JSX } from 'solid-js';

export type MatchRange = readonly [start: number, end: number];

interface Piece {
  readonly text: string;
  readonly match: boolean;
}

/**
 * Splits text at the match ranges (UTF-16 offsets, end exclusive). Ranges are clamped, sorted and merged, so a bad
 * or overlapping range can never duplicate or drop text.
 */
function splitByRanges(text: string, ranges: readonly MatchRange[]): Piece[] {
  const sorted = ranges
    .map(([s, e]) => [Math.max(0, Math.min(s, text.length)), Math.max(0, Math.min(e, text.length))] as const)
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  const pieces: Piece[] = [];
  let at = 0;
  for (const [s, e] of sorted) {
    const start = Math.max(s, at);
    if (e <= start) continue;
    if (start > at) pieces.push({ text: text.slice(at, start), match: false });
    pieces.push({ text: text.slice(start, e), match: true });
    at = e;
  }
  if (at < text.length) pieces.push({ text: text.slice(at), match: false });
  return pieces;
}

/** Text with highlighted matches. Solid inserts text nodes, so the snippet is never parsed as HTML. */
export default function Snippet(props: { text: string; ranges: readonly MatchRange[]; class?: string }): JSX.Element {
  return (
    <p class={props.class ?? 'snippet'}>
      <For each={splitByRanges(props.text, props.ranges)}>{(piece) => (piece.match ? <mark>{piece.text}</mark> : piece.text)}</For>
    </p>
  );
}
