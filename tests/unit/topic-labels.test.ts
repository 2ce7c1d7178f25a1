// Topic labels name what a topic is about: content words in each language, never function words, markup or code.
import { describe, expect, it } from 'vitest';
import { labelClusters, terms } from '../../shared/embed/topic-labels';

describe('topic labels', () => {
  it('Dutch, German and French function words never name a topic', () => {
    const [dutch, german] = labelClusters([
      ['Hoe bak ik een brood van zuurdesem?', 'Het deeg van een zuurdesem brood moet lang rijzen.', 'Is het brood van volkoren meel gezond?'],
      ['Wie pflege ich meine Tomaten im Garten?', 'Die Tomaten brauchen im Sommer viel Wasser und Sonne.', 'Ich habe eine Frage zu den Tomaten.'],
      ['Comment réparer mon vélo?', 'Le pneu de mon vélo est crevé.', 'Je dois changer la chaîne du vélo.'],
    ]);
    expect(dutch?.terms[0]).toBe('brood');
    for (const stop of ['van', 'een', 'het']) expect(dutch?.terms).not.toContain(stop);
    expect(german?.terms[0]).toBe('tomaten');
  });

  it('markup, code and identifiers are not content words', () => {
    const text = '```python\nresult = None\nprint(result)\n```\n<div class="note" lang="en">Pick a sourdough starter.</div> The `null` order- models.order getUserName snake_case';
    expect(terms(text)).toEqual(['pick', 'sourdough', 'starter']);
  });
});
