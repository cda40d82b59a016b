import { checkIdNumber, type IdNumberProblem } from '../../domain/id-number.js';
import { extractEntities, type Entities } from '../../text/entities.js';
import { normalizeForMatching } from '../../text/normalize.js';
import type { FlowWords } from './flow-words.js';

/** Why a message's ID number cannot be used: a checker problem, or it is a phone number. */
export type IdReadingProblem = IdNumberProblem | { kind: 'phone' };

/** What a message says about an ID number. */
export type IdReading = { kind: 'none' } | { kind: 'valid'; value: string } | { kind: 'invalid'; problem: IdReadingProblem };

// Letters and digits with inner spaces or hyphens: "11010519491231002x", "110105 2001".
const ALPHANUMERIC_RUN = /[0-9A-Za-z](?:[0-9A-Za-z -]*[0-9A-Za-z])?/g;

/**
 * The ID number in a message, validated against today's date. Spaces, hyphens, full-width
 * digits and a lower-case x are accepted; a run of at least 7 digits that is not a valid ID
 * number is reported with its precise problem.
 */
export function readIdNumber(input: { text: string; entities: Entities }, now: Date): IdReading {
  const found = input.entities.idNumbers[0];
  if (found) {
    const check = checkIdNumber(found.value, 'resident-id', now);
    return check.ok ? { kind: 'valid', value: check.value } : { kind: 'invalid', problem: check.problem };
  }
  const rest = extractEntities(input.text).rest;
  for (const run of rest.match(ALPHANUMERIC_RUN) ?? []) {
    if ((run.match(/\d/g) ?? []).length < 7) continue;
    const check = checkIdNumber(run, 'resident-id', now);
    return check.ok ? { kind: 'valid', value: check.value } : { kind: 'invalid', problem: check.problem };
  }
  if (input.entities.phones.length > 0) return { kind: 'invalid', problem: { kind: 'phone' } };
  if (input.entities.codes.length > 0) return { kind: 'invalid', problem: { kind: 'length', length: 6 } };
  return { kind: 'none' };
}

const HAN_NAME = /^\p{Script=Han}{2,6}$/u;
const DOTTED_NAME = /^\p{Script=Han}{1,12}[·•]\p{Script=Han}{1,12}$/u;
const LATIN_NAME = /^[A-Za-z][A-Za-z ]{1,29}$/;
const SEPARATORS = /[\s,，。.;；:：、!！?？"“”'‘’()（）[\]【】/|~～]+/u;

/**
 * A person's name in a message: "李明", "我叫李明", "姓名：李明", "110105... 李明". Sentences
 * (anything with a question or domain word) are not names. Latin names need a prefix.
 */
export function readName(text: string, words: FlowWords): string | undefined {
  const rest = extractEntities(text).rest.normalize('NFKC').trim();
  const candidates: { name: string; explicit: boolean }[] = [];
  for (const segment of rest.split(SEPARATORS).filter((part) => part !== '')) {
    const normalized = normalizeForMatching(segment);
    const prefix = words.namePrefixes.find((word) => normalized.startsWith(word) && normalized.length > word.length);
    const name = prefix ? stripLeading(segment, prefix) : segment;
    candidates.push({ name, explicit: prefix !== undefined });
  }
  // "姓名 李明": the prefix stands alone and the name follows it.
  const segments = rest.split(SEPARATORS).filter((part) => part !== '');
  for (let i = 0; i + 1 < segments.length; i += 1) {
    if (words.namePrefixes.includes(normalizeForMatching(segments[i]!))) candidates.push({ name: segments[i + 1]!, explicit: true });
  }
  const valid = candidates.filter((candidate) => isName(candidate.name, candidate.explicit, words));
  const chosen = valid.find((candidate) => candidate.explicit) ?? valid[0];
  if (chosen) return chosen.name.replace(/\s+/g, ' ').trim();
  // "李 明": a name typed with a space.
  const joined = rest.replace(/\s+/g, '');
  return /^\p{Script=Han}{2,4}$/u.test(joined) && !words.excludesName(normalizeForMatching(joined)) ? joined : undefined;
}

function isName(candidate: string, explicit: boolean, words: FlowWords): boolean {
  const name = candidate.trim();
  const shaped = HAN_NAME.test(name) || DOTTED_NAME.test(name) || (explicit && LATIN_NAME.test(name));
  return shaped && !words.excludesName(normalizeForMatching(name));
}

/** Removes a normalised prefix from the raw segment, character by character. */
function stripLeading(segment: string, normalizedPrefix: string): string {
  let consumed = '';
  let index = 0;
  const chars = [...segment];
  while (index < chars.length && consumed.length < normalizedPrefix.length) {
    consumed += normalizeForMatching(chars[index]!);
    index += 1;
  }
  return chars.slice(index).join('');
}
