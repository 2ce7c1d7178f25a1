/**
 * Stopwords of the languages the importer meets (en, de, fr, es, it, pt, nl), normalised like indexed terms
 * (lower case, accents removed). Ranking ignores them; a query made only of stopwords still searches them.
 *
 *   queryStopwords(words: string[]): ReadonlySet<string>   // the stopwords of the query's language(s)
 *
 * A word that is a stopword in one language can be a content word in another ("die", "war", "come", "son"), so a
 * query's language is guessed from its words first, and only that language's list applies.
 */

const LISTS: Record<string, string> = {
  en: `a about above after again against all am an and any are as at be because been before being below between both
    but by can could did do does doing done down during each either else ever every few for from further get gets got
    had has have having he her here hers herself him himself his how i if in into is it its itself just let lets me
    might more most much must my myself no nor not now of off on once only or other our ours ourselves out over own
    please same shall she should so some such than that the their theirs them themselves then there these they this
    those through to too under until up upon us very was we were what when where which while who whom whose why will
    with would you your yours yourself yourselves s t d ll m re ve don didn doesn isn wasn aren weren won wouldn
    shouldn couldn hasn haven hadn also`,
  de: `aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes auch auf aus bei
    bin bis bist da damit dann das dass dein deine deinem deinen deiner dem den denn der des dich die dies diese
    diesem diesen dieser dieses dir doch dort du durch ein eine einem einen einer eines er es etwas euch euer eure fur
    hab habe haben hat hatte hatten hier hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer im in indem ins ist
    jede jedem jeden jeder jedes jetzt kann kannst konnen konnte mein meine meinem meinen meiner mich mir mit muss
    nach nicht nichts noch nun nur ob oder ohne sehr sein seine seinem seinen seiner sich sie sind so soll sollte
    sondern um und uns unser unsere unter viel vom von vor war waren warst was weil welche welchem welchen welcher
    welches wenn wer werde werden wie wieder will wir wird wo wollen zu zum zur uber`,
  fr: `a ai aie as au aux avec avez avoir c ca ce ceci cela celle celles celui ces cet cette d dans de des du elle
    elles en es est et etaient etait ete etre eu eux fait faire il ils j je l la le les leur leurs lui m ma mais me
    meme mes moi mon n ne ni nos notre nous on ont ou par pas peu peut plus pour qu quand que quel quelle quelles
    quels qui quoi s sa sans se ses si son sont sur t ta te tes toi ton tous tout toute toutes tu un une vos votre
    vous y`,
  es: `a al algo algunas algunos ante antes como con contra cual cuando de del desde donde durante e el ella ellas
    ellos en entre era eran es esa esas ese eso esos esta estaba estado estan estar estas este esto estos fue fueron
    ha habia han hasta hay la las le les lo los mas me mi mis mucho muy nada ni no nos nosotros o os otra otro para
    pero poco por porque que quien se sea ser si sin sobre son su sus tambien te tengo tiene tienen todo todos tu tus
    un una uno unos usted y ya yo`,
  it: `a ad agli ai al alla alle allo anche avere c che chi ci come con contro cosa cui da dal dalla dalle dei del
    della delle dello di dove e ed era erano essere gli ha hai hanno ho i il in io la le lei li lo loro lui ma me mi
    mia mie miei mio ne negli nei nel nella nelle no noi non nostra nostro o per perche piu quale quando quella
    quelle quello questa queste questo se sei si sia sono su sua sue sui sul sulla suo suoi ti tra tu tua tuo tutti
    tutto un una uno vi voi`,
  pt: `a ao aos as ate com como da das de dela dele deles do dos e ela elas ele eles em entre era essa esse esta
    este eu foi for foram ha isso isto ja la lhe mais mas me meu minha muito na nao nas nem no nos nossa nosso num
    numa o os ou para pela pelas pelo pelos por qual quando que quem se sem ser seu seus so sua suas tambem te tem
    tenho ter teu tu tua um uma voce voces`,
  nl: `aan al alles als altijd andere ben bij daar dan dat de der deze die dit doch doen door dus een eens en er ge
    geen geweest haar had heb hebben heeft hem het hier hij hoe hun iets ik in is ja je kan kon kunnen maar me meer
    men met mij mijn moet na naar niet niets nog nu of om omdat ons ook op over reeds te tegen toch toen tot u uit
    uw van veel voor want waren was wat we wel werd wezen wie wij wil worden zal ze zelf zich zij zijn zo zonder zou`,
};

const SETS: ReadonlyMap<string, ReadonlySet<string>> = new Map(Object.entries(LISTS).map(([language, list]) => [language, new Set(list.split(/\s+/u).filter((w) => w !== ''))]));

const NONE: ReadonlySet<string> = new Set();

/**
 * The stopwords that apply to a query of these (normalised) words: those of the language(s) with the most
 * stopwords among them. A query with no stopword of any language, or a short one with a single one, keeps every word.
 */
export function queryStopwords(words: readonly string[]): ReadonlySet<string> {
  let best = 0;
  let chosen: ReadonlySet<string>[] = [];
  for (const set of SETS.values()) {
    let count = 0;
    for (const word of words) if (set.has(word)) count++;
    if (count > best) {
      best = count;
      chosen = [set];
    } else if (count === best && count > 0) chosen.push(set);
  }
  // One stopword in a short query says little about its language ("sea kayak": "sea" is Spanish for "be").
  if (chosen.length === 0 || (best === 1 && words.length <= 3)) return NONE;
  if (chosen.length === 1) return chosen[0] ?? NONE;
  return new Set(chosen.flatMap((set) => [...set]));
}
