import { randomInt } from 'node:crypto';

// Adjectives and scientists/engineers, in the spirit of dockerd's names-generator.
const LEFT = [
  'admiring', 'adoring', 'affectionate', 'agitated', 'amazing', 'angry', 'awesome', 'beautiful', 'blissful', 'bold',
  'boring', 'brave', 'busy', 'charming', 'clever', 'compassionate', 'competent', 'condescending', 'confident', 'cool',
  'cranky', 'crazy', 'dazzling', 'determined', 'distracted', 'dreamy', 'eager', 'ecstatic', 'elastic', 'elated',
  'elegant', 'eloquent', 'epic', 'exciting', 'fervent', 'festive', 'flamboyant', 'focused', 'friendly', 'frosty',
  'funny', 'gallant', 'gifted', 'goofy', 'gracious', 'great', 'happy', 'hardcore', 'heuristic', 'hopeful',
  'hungry', 'infallible', 'inspiring', 'intelligent', 'interesting', 'jolly', 'jovial', 'keen', 'kind', 'laughing',
  'loving', 'lucid', 'magical', 'modest', 'musing', 'mystifying', 'naughty', 'nervous', 'nice', 'nifty',
  'nostalgic', 'objective', 'optimistic', 'peaceful', 'pedantic', 'pensive', 'practical', 'priceless', 'quirky', 'quizzical',
  'recursing', 'relaxed', 'reverent', 'romantic', 'sad', 'serene', 'sharp', 'silly', 'sleepy', 'stoic',
  'strange', 'stupefied', 'suspicious', 'sweet', 'tender', 'thirsty', 'trusting', 'unruffled', 'upbeat', 'vibrant',
  'vigilant', 'vigorous', 'wizardly', 'wonderful', 'xenodochial', 'youthful', 'zealous', 'zen',
];
const RIGHT = [
  'agnesi', 'albattani', 'allen', 'almeida', 'archimedes', 'ardinghelli', 'aryabhata', 'austin', 'babbage', 'banach',
  'bardeen', 'bartik', 'bassi', 'bell', 'bhabha', 'blackwell', 'bohr', 'booth', 'borg', 'bose',
  'boyd', 'brahmagupta', 'brattain', 'brown', 'carson', 'cerf', 'chandrasekhar', 'clarke', 'colden', 'cori',
  'cray', 'curie', 'darwin', 'davinci', 'dijkstra', 'dubinsky', 'easley', 'einstein', 'elion', 'engelbart',
  'euclid', 'euler', 'fermat', 'fermi', 'feynman', 'franklin', 'galileo', 'gauss', 'goldberg', 'goodall',
  'hamilton', 'hawking', 'heisenberg', 'hermann', 'hodgkin', 'hofstadter', 'hopper', 'hypatia', 'jackson', 'jennings',
  'johnson', 'kalam', 'keller', 'kepler', 'khorana', 'kilby', 'knuth', 'kowalevski', 'lamarr', 'lamport',
  'leakey', 'lovelace', 'lumiere', 'margulis', 'mayer', 'mccarthy', 'mcclintock', 'meitner', 'mendel', 'merkle',
  'morse', 'napier', 'newton', 'nobel', 'noether', 'pare', 'pascal', 'pasteur', 'payne', 'perlman',
  'pike', 'poincare', 'ptolemy', 'raman', 'ramanujan', 'ritchie', 'rosalind', 'sammet', 'shannon', 'shirley',
  'sinoussi', 'stonebraker', 'swanson', 'tesla', 'thompson', 'torvalds', 'turing', 'varahamihira', 'visvesvaraya', 'wiles',
  'williams', 'wilson', 'wing', 'wozniak', 'wright', 'yalow', 'yonath', 'zhukovsky',
];

/** A random docker-like name ("festive_hopper"); retries past names in use. */
export function randomName(taken: (name: string) => boolean): string {
  for (let attempt = 0; ; attempt++) {
    let name = `${LEFT[randomInt(LEFT.length)]}_${RIGHT[randomInt(RIGHT.length)]}`;
    if (attempt > 10) name += randomInt(10);
    if (!taken(name)) return name;
  }
}

/**
 * Container names: dockerd's characters, but one-letter names are allowed too (dockerd's
 * pattern needs two; `--name w` is common in scripts and tests).
 */
export const VALID_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
