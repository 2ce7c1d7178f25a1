/**
 * A labelled retrieval-quality set: a ChatGPT-shaped export (conversations.json) of decisions a person talked
 * through with an assistant, buried in chit-chat, and natural-language questions about them, each labelled with
 * the one exchange that answers it.
 *
 * Every decision is (project × topic): "which database for the side project" → "PostgreSQL, because …". Three
 * phrasings per decision: a direct question, one naming the choice, and a paraphrase that shares few words with
 * the exchange ("which place to keep the records for the little app I build on weekends"). Replies are padded
 * with generic sentences of varying length, and chit-chat exchanges mention the same projects and topics, so
 * stopwords, length and common words all get in the way as they do in a real history.
 *
 * Written once from these tables, never adjusted to what the search returns: the harness measures, it is not a
 * training set.
 *
 *   qualityCorpus(seed = 7): QualityCorpus
 */
import { seededRandom } from '../../shared/embed/random';
import { pick } from './generate-common';

export interface QualityQuestion {
  readonly question: string;
  readonly kind: 'direct' | 'choice' | 'paraphrase';
  /** The ChatGPT conversation id and the exchange's position in it. */
  readonly conversation: string;
  readonly ordinal: number;
}

export interface QualityCorpus {
  readonly json: string;
  readonly exchanges: number;
  readonly questions: readonly QualityQuestion[];
}

interface Project {
  readonly name: string;
  /** Paraphrases that share few words with the name. */
  readonly alt: readonly string[];
}

interface Topic {
  readonly name: string;
  readonly alt: readonly string[];
  readonly choices: readonly string[];
  readonly reasons: readonly string[];
}

const PROJECTS: readonly Project[] = [
  { name: 'side project', alt: ['the little app I build on weekends', 'my evening coding hobby'] },
  { name: 'wedding website', alt: ['the site for our marriage', 'the page for guests of our big day'] },
  { name: 'master thesis', alt: ['my dissertation', 'the research I must hand in at university'] },
  { name: 'bakery shop', alt: ['my pastry business', 'the place selling bread and croissants'] },
  { name: 'vegetable garden', alt: ['the backyard beds', 'growing tomatoes and beans at home'] },
  { name: 'road trip to Portugal', alt: ['the drive down to Lisbon', 'our holiday in the car along the Atlantic coast'] },
  { name: 'podcast', alt: ['my audio show', 'the weekly episodes I record'] },
  { name: 'home lab', alt: ['the server rack in my basement', 'my self-hosted machines'] },
  { name: 'birthday party for my daughter', alt: ['the celebration when my kid turns seven', 'her party with the school friends'] },
  { name: 'marathon training', alt: ['preparing to run 42 kilometres', 'my long-distance running plan'] },
  { name: 'apartment move', alt: ['relocating to the new flat', 'changing homes next month'] },
  { name: 'startup pitch', alt: ['the deck for investors', 'raising our seed round'] },
];

const TOPICS: readonly Topic[] = [
  {
    name: 'database',
    alt: ['data store', 'place to keep the records'],
    choices: ['PostgreSQL', 'SQLite', 'MongoDB', 'Firestore'],
    reasons: ['it handles joins and transactions well', 'it needs no separate server process', 'documents can change shape freely', 'it syncs to phones while offline'],
  },
  {
    name: 'hosting provider',
    alt: ['where it should run', 'which company serves it online'],
    choices: ['Hetzner', 'Netlify', 'Fly.io', 'Render'],
    reasons: ['the monthly price is very low', 'static pages deploy from git automatically', 'machines start close to the visitors', 'the free tier covers small traffic'],
  },
  {
    name: 'budget',
    alt: ['how much money to set aside', 'the spending limit'],
    choices: ['two thousand euros', 'five hundred dollars', 'eight hundred pounds', 'one thousand francs'],
    reasons: ['it leaves room for surprises', 'the first version should stay cheap', 'prices rose last year', 'half of it is already saved'],
  },
  {
    name: 'colour palette',
    alt: ['which colours to use', 'the visual look'],
    choices: ['teal and sand', 'navy and coral', 'olive and cream', 'charcoal and mustard'],
    reasons: ['it reads well on small screens', 'it feels calm and warm', 'it matches the printed invitations', 'contrast passes accessibility checks'],
  },
  {
    name: 'timeline',
    alt: ['dates and deadlines', 'when each step happens'],
    choices: ['six weeks', 'three months', 'ten days', 'one semester'],
    reasons: ['each milestone gets a buffer week', 'the hardest part comes first', 'holidays block the end of the month', 'feedback rounds need time'],
  },
  {
    name: 'laptop',
    alt: ['computer to buy', 'the machine I should get'],
    choices: ['ThinkPad X1 Carbon', 'MacBook Air', 'Framework 13', 'Dell XPS'],
    reasons: ['the keyboard is excellent for long sessions', 'battery lasts a full day', 'every part can be repaired', 'the screen is bright outdoors'],
  },
  {
    name: 'marketing plan',
    alt: ['getting the word out', 'how people will hear about it'],
    choices: ['a monthly newsletter', 'short Instagram reels', 'flyers in the neighbourhood', 'a referral discount'],
    reasons: ['loyal readers share it with friends', 'short videos reach new people fast', 'most customers live nearby', 'word of mouth costs nothing'],
  },
  {
    name: 'backup strategy',
    alt: ['not losing any files', 'copies of everything important'],
    choices: ['restic to Backblaze', 'Time Machine on a USB drive', 'nightly rsync to a NAS', 'Syncthing between two machines'],
    reasons: ['snapshots are encrypted and deduplicated', 'restoring a single file takes one click', 'it runs while everyone sleeps', 'there is no cloud account to manage'],
  },
  {
    name: 'playlist',
    alt: ['songs to play', 'the soundtrack'],
    choices: ['jazz standards', 'nineties pop hits', 'lo-fi beats', 'Brazilian bossa nova'],
    reasons: ['it keeps the mood relaxed', 'everybody knows the lyrics', 'it does not distract from talking', 'the rhythm suits the pace'],
  },
  {
    name: 'name',
    alt: ['what to call it', 'the title we give it'],
    choices: ['Northwind', 'Little Harvest', 'Blue Fern', 'Open Kettle'],
    reasons: ['the domain is still free', 'it is short and easy to spell', 'it sounds friendly in several languages', 'nobody else in town uses it'],
  },
];

const ASK = [
  'I need to pick a {topic} for my {project}. What would you recommend?',
  'For the {project}, which {topic} makes sense?',
  'Can you help me think through the {topic} for the {project}? I keep going back and forth.',
  'Quick question about my {project}: what {topic} should I go for?',
];

const ANSWER = ['For your {project}, I would go with {choice}, because {reason}.', '{choice} is the best fit for the {project}: {reason}.', 'Go with {choice} for the {project}. The main reason is that {reason}.'];

const DIRECT = ['What did I decide about the {topic} for the {project}?', 'what {topic} did we go with for the {project}', 'Which {topic} was recommended for my {project}?', 'remind me which {topic} we chose for the {project}'];
const CHOICE = ['Why did you suggest {choice} for the {project}?', 'Was {choice} the pick for my {project}, and why?', 'what made {choice} right for the {project}'];
const PARAPHRASE = ['What did we settle on regarding {alt topic} for {alt project}?', 'Remind me: {alt topic}, {alt project}, what was the conclusion?', 'Any idea what we concluded about {alt topic} for {alt project}?'];

/** Generic sentences that pad replies (stopwords, common words, no decision in them). */
const FILLER = [
  'That is something you can always change later if it does not work out the way you hoped.',
  'Let me know if you want me to go into more detail on any part of this.',
  'It is worth writing the decision down so you do not have to think about it again.',
  'Many people in a similar situation end up making the same choice, and they are usually happy with it.',
  'There are of course other options, and none of them would be a disaster.',
  'The most important thing is to start and to keep the first version simple.',
  'You could ask a friend who has done this before what they would do differently.',
  'If the plan changes, we can go through the options again together.',
  'I would not spend more than an evening comparing all the alternatives.',
  'Keep an eye on how it feels after a couple of weeks, and adjust if needed.',
  'A checklist helps to make sure nothing important is forgotten at the end.',
  'This is a common question, and there is no single right answer for everyone.',
];

const CHAT_HUMAN = [
  'Thanks, that helps a lot! What should I do next for the {project}?',
  'I am a bit stressed about the {project}, everything takes longer than I thought.',
  'Can you summarise what we talked about so far for the {project}?',
  'Is it normal to feel unsure about the {topic} at this stage?',
];

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{([a-z ]+)\}/g, (_, key: string) => values[key] ?? key);
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

interface Turn {
  readonly human: string;
  readonly assistant: string;
}

function chatgptConversation(index: number, title: string, turns: readonly Turn[]): Record<string, unknown> {
  const id = `00000000-0000-4000-9000-${index.toString(16).padStart(12, '0')}`;
  const base = 1_720_000_000 + index * 86_400;
  const mapping: Record<string, { id: string; message: Record<string, unknown> | null; parent: string | null; children: string[] }> = {};
  let parent = `q${index}-root`;
  mapping[parent] = { id: parent, message: null, parent: null, children: [] };
  const add = (key: string, role: 'user' | 'assistant', text: string, time: number): void => {
    mapping[key] = {
      id: key,
      message: { id: key, author: { role, name: null, metadata: {} }, create_time: time, content: { content_type: 'text', parts: [text] }, status: 'finished_successfully', metadata: {} },
      parent,
      children: [],
    };
    mapping[parent]?.children.push(key);
    parent = key;
  };
  turns.forEach((turn, t) => {
    add(`q${index}-t${t}-u`, 'user', turn.human, base + t * 120);
    add(`q${index}-t${t}-a`, 'assistant', turn.assistant, base + t * 120 + 30);
  });
  return { title, create_time: base, update_time: base + turns.length * 120, mapping, current_node: parent, conversation_id: id, id, default_model_slug: 'gpt-4o' };
}

export function qualityCorpus(seed = 7): QualityCorpus {
  const random = seededRandom(seed);
  const padding = (max: number): string => Array.from({ length: Math.floor(random() * (max + 1)) }, () => pick(random, FILLER)).join(' ');
  const conversations: Record<string, unknown>[] = [];
  const questions: QualityQuestion[] = [];
  let exchanges = 0;

  PROJECTS.forEach((project, p) => {
    const conversationId = `00000000-0000-4000-9000-${p.toString(16).padStart(12, '0')}`;
    const turns: Turn[] = [];
    const order = TOPICS.map((_, t) => t);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] ?? 0, order[i] ?? 0];
    }
    for (const t of order) {
      const topic = TOPICS[t] as Topic;
      const c = Math.floor(random() * topic.choices.length);
      const values = { project: project.name, topic: topic.name, choice: topic.choices[c] ?? '', reason: topic.reasons[c] ?? '' };
      const ordinal = turns.length;
      turns.push({ human: fill(pick(random, ASK), values), assistant: `${capitalise(fill(pick(random, ANSWER), values))} ${padding(8)}`.trim() });
      const alt = { 'alt topic': pick(random, topic.alt), 'alt project': pick(random, project.alt) };
      questions.push({ question: fill(pick(random, DIRECT), values), kind: 'direct', conversation: conversationId, ordinal });
      questions.push({ question: fill(pick(random, CHOICE), values), kind: 'choice', conversation: conversationId, ordinal });
      questions.push({ question: fill(pick(random, PARAPHRASE), alt), kind: 'paraphrase', conversation: conversationId, ordinal });
      // Chit-chat about the same project and topics, long and full of common words.
      if (random() < 0.6) {
        const other = pick(random, TOPICS);
        turns.push({ human: fill(pick(random, CHAT_HUMAN), { project: project.name, topic: other.name }), assistant: `${padding(12)} ${pick(random, FILLER)}`.trim() });
      }
    }
    exchanges += turns.length;
    conversations.push(chatgptConversation(p, `Planning the ${project.name}`, turns));
  });
  return { json: JSON.stringify(conversations), exchanges, questions };
}
