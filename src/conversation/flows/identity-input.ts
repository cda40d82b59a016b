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

// Up to six characters: some Mongolian and Tibetan names are written without a dot ("乌兰其其格").
const HAN_NAME = /^\p{Script=Han}{2,6}$/u;
const DOTTED_NAME = /^\p{Script=Han}{1,12}[·•]\p{Script=Han}{1,12}$/u;
const LATIN_NAME = /^[A-Za-z][A-Za-z ]{1,29}$/;
const SEPARATORS = /[\s,，。.;；:：、!！?？"“”'‘’()（）[\]【】/|~～]+/u;

/**
 * A person's name in a message: "李明", "我叫李明", "姓名：李明", "110105... 李明", "你好，李明".
 * A name given without a prefix or label must stand alone, next to a greeting or field label at
 * most: a message with anything else in it is a sentence ("邮箱已经注册，正在等待激活"), and its
 * last words are not a name. Latin names need a prefix or label.
 */
export function readName(text: string, words: FlowWords): string | undefined {
  const rest = extractEntities(text).rest.normalize('NFKC').trim();
  const segments = rest.split(SEPARATORS).filter((part) => part !== '');
  const explicit: string[] = [];
  const bare: string[] = [];
  for (const segment of segments) {
    const normalized = normalizeForMatching(segment);
    const prefix = words.namePrefixes.find((word) => normalized.startsWith(word) && normalized.length > word.length);
    if (prefix) explicit.push(stripLeading(segment, prefix));
    else bare.push(segment);
  }
  // "姓名：李明": the label stands alone and the name follows it.
  for (let i = 0; i + 1 < segments.length; i += 1) {
    const normalized = normalizeForMatching(segments[i]!);
    if (words.nameLabels.has(normalized) || words.namePrefixes.includes(normalized)) explicit.push(segments[i + 1]!);
  }
  const labelled = explicit.find((name) => isName(name, true, words));
  if (labelled) return tidy(labelled);
  // "李 明": a name typed with a space.
  const joined = rest.replace(/\s+/g, '');
  if (/^\p{Script=Han}{2,4}$/u.test(joined) && !words.excludesName(normalizeForMatching(joined))) return joined;
  if (!segments.every((segment) => isName(segment, false, words) || words.mayStandNextToName(normalizeForMatching(segment)))) {
    return undefined;
  }
  const alone = bare.find((segment) => isName(segment, false, words));
  return alone ? tidy(alone) : undefined;
}

function tidy(name: string): string {
  return name.replace(/\s+/g, ' ').trim();
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
