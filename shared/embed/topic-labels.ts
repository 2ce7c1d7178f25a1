/**
 * Topic labels by distinctive terms: class-based TF-IDF (c-TF-IDF, as in BERTopic). All texts of a cluster form one
 * document; a term scores tf(term, cluster) * log(1 + average terms per cluster / frequency of the term everywhere),
 * so words common to every topic ("help", "thanks") sink and words that mark one topic rise.
 */

const STOP_WORDS = new Set(
  (
    'a about above after again against all also am an and any are as at be because been before being below between both but by can could ' +
    'did do does doing done down during each even few for from further get got had has have having he her here hers him his how however i if ' +
    'in into is it its itself just know let like make many may me might more most much must my myself need no nor not now of off on once ' +
    'one only or other our ours out over own please really same say see she should so some such than thank thanks that the their theirs them ' +
    'then there these they thing things this those through to too under until up us use used using very want was way we well were what when ' +
    'where which while who whom why will with would yes yet you your yours yourself able sure okay ok help lets here\'s it\'s i\'m don\'t ' +
    'can\'t example following new time first two www http https com'
  ).split(' '),
);

/** Lowercased words of 3+ letters that are not stop words or numbers. */
export function terms(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}][\p{L}\p{N}'-]{2,}/gu) ?? [];
  return words.filter((w) => !STOP_WORDS.has(w) && w.length <= 30);
}

export interface ClusterLabel {
  /** Best first. */
  readonly terms: readonly string[];
  readonly scores: readonly number[];
}

/** `clusterTexts[c]` holds the texts of cluster c. Returns the `top` most distinctive terms of each. */
export function labelClusters(clusterTexts: readonly (readonly string[])[], top = 4): ClusterLabel[] {
  const counts = clusterTexts.map((texts) => {
    const m = new Map<string, number>();
    for (const t of texts) for (const w of terms(t)) m.set(w, (m.get(w) ?? 0) + 1);
    return m;
  });
  const global = new Map<string, number>();
  let totalTerms = 0;
  for (const m of counts)
    for (const [w, n] of m) {
      global.set(w, (global.get(w) ?? 0) + n);
      totalTerms += n;
    }
  const average = totalTerms / Math.max(1, counts.length);
  return counts.map((m) => {
    const size = [...m.values()].reduce((a, b) => a + b, 0) || 1;
    const scored = [...m].map(([w, n]) => ({ w, s: (n / size) * Math.log(1 + average / (global.get(w) ?? 1)) }));
    // Ties broken alphabetically so labels do not flicker between runs.
    scored.sort((a, b) => b.s - a.s || (a.w < b.w ? -1 : 1));
    const best = scored.slice(0, top);
    return { terms: best.map((x) => x.w), scores: best.map((x) => x.s) };
  });
}
