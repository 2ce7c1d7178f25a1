/**
 * Topic labels by distinctive terms: class-based TF-IDF (c-TF-IDF, as in BERTopic). All texts of a cluster form one
 * document; a term scores tf(term, cluster) * log(1 + average terms per cluster / frequency of the term everywhere),
 * so words common to every topic ("help", "thanks") sink and words that mark one topic rise.
 */

/** Function words of the languages people most often chat in; a topic is never named after one of them. */
const STOP_WORDS_BY_LANGUAGE: Record<string, string> = {
  en:
    'a about above after again against all also am an and any are as at be because been before being below between both but by can could ' +
    'did do does doing done down during each even few for from further get got had has have having he her here hers him his how however i if ' +
    'in into is it its itself just know let like make many may me might more most much must my myself need no nor not now of off on once ' +
    'one only or other our ours out over own please really same say see she should so some such than thank thanks that the their theirs them ' +
    'then there these they thing things this those through to too under until up us use used using very want was way we well were what when ' +
    "where which while who whom why will with would yes yet you your yours yourself able sure okay ok help lets here's it's i'm don't " +
    "can't example following new time first two www http https com",
  nl:
    'aan al alle als bij dan dat de deze die dit doen door dus een en er geen had heb hebben heeft het hier hij hoe hun iets ik in is ja je ' +
    'kan kun kunnen maar me meer met mij mijn moet na naar niet nog nu of om omdat ook op over te tot u uit van veel voor wat we wel werd ' +
    'wij wil worden wordt zal ze zelf zich zij zijn zo zoals',
  de:
    'aber alle als am an auch auf aus bei bin bis bitte da damit dann das dass dein dem den der des dich die dir du ein eine einem einen ' +
    'einer es für hat hier ich ihr im in ist ja kann kein mein mich mir mit nach nicht noch nur oder sich sie sind so über um und uns von ' +
    'vor war was weil wenn wie wir wird zu zum zur',
  fr:
    'au aux avec ce ces cette dans de des du elle en est et être il ils je la le les leur lui mais me mes mon ne nous on ou par pas plus ' +
    'pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous',
  es:
    'al como con de del el ella en es esta este estos hay la las le lo los más me mi muy no nos o para pero por que se si sin sobre su sus ' +
    'te tu un una uno y ya yo',
};
const STOP_WORDS = new Set(Object.values(STOP_WORDS_BY_LANGUAGE).flatMap((list) => list.split(' ')));

/** Words that come from markup, code and data rather than from what the conversation is about. */
const CODE_WORDS = new Set(
  (
    'div span class classname lang href src style html body head meta script const let var function return import export from null ' +
    'undefined true false none nil self this def elif else print println console log int str string bool boolean void public private ' +
    'static async await new type interface enum struct impl use mut pub fn json xml http https www com org nbsp quot amp'
  ).split(' '),
);

/** Code blocks, inline code, HTML tags and URLs: their tokens would name a topic "div, class, lang". */
function prose(text: string): string {
  return text
    .replace(/```[\s\S]*?(```|$)/g, ' ')
    .replace(/`[^`\n]*`/g, ' ')
    .replace(/<[^>]{0,500}>/g, ' ')
    .replace(/\bhttps?:\/\/\S+/g, ' ')
    .replace(/&[a-z]+;/g, ' ');
}

/**
 * Lowercased content words of 3+ letters: no stop words (several languages), no numbers, no code or markup tokens,
 * no identifiers (snake_case, camelCase, dotted or hyphen-ended fragments such as "order-").
 */
export function terms(text: string): string[] {
  const words = prose(text).match(/[\p{L}][\p{L}\p{N}'_.-]{2,}/gu) ?? [];
  const out: string[] = [];
  for (const match of words) {
    // A full stop ends a sentence; inside a word it makes an identifier (os.path, config.json).
    const word = match.replace(/\.+$/, '');
    if (word.length < 3 || /[_.]|-$|\p{Ll}\p{Lu}/u.test(word)) continue;
    const lower = word.toLowerCase();
    if (lower.length > 30 || STOP_WORDS.has(lower) || CODE_WORDS.has(lower)) continue;
    out.push(lower);
  }
  return out;
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
