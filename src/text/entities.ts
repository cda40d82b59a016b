import { checkIdNumber, compactIdNumber, type IdNumberCheck } from '../domain/id-number.js';
import { toHalfWidth } from './normalize.js';

/** An ID number found in a message, with its validation result (it may be malformed). */
export interface FoundIdNumber {
  value: string;
  check: IdNumberCheck;
}

/** Personal data taken out of a message before matching. */
export interface Entities {
  idNumbers: FoundIdNumber[];
  phones: string[];
  emails: string[];
  /** Standalone 6-digit numbers (verification codes). */
  codes: string[];
}

export interface Extraction {
  /** The message (half-width) with every entity removed. */
  rest: string;
  entities: Entities;
}

const EMAIL = /[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/gi;
// Digit runs that may carry spaces or hyphens, as people paste them: "110105 20010101 1235".
const DIGIT_RUN = /(?<![0-9a-z])(?:\+?86[ -]?)?\d(?:[ -]?\d){4,18}(?:[ -]?[xX])?(?![0-9a-z])/gi;

/** Finds ID numbers, phone numbers, e-mail addresses and 6-digit codes in a message. */
export function extractEntities(message: string): Extraction {
  const entities: Entities = { idNumbers: [], phones: [], emails: [], codes: [] };
  let rest = toHalfWidth(message).replace(EMAIL, (email) => {
    entities.emails.push(email.toLowerCase());
    return ' ';
  });
  rest = rest.replace(DIGIT_RUN, (run) => {
    const compact = compactIdNumber(run).replace(/^\+?86(?=1[3-9]\d{9}$)/, '');
    if (/^1[3-9]\d{9}$/.test(compact)) {
      entities.phones.push(compact);
    } else if (/^\d{6}$/.test(compact)) {
      entities.codes.push(compact);
    } else if (compact.length >= 14 && compact.length <= 19) {
      entities.idNumbers.push({ value: compact, check: checkIdNumber(compact) });
    } else {
      return run;
    }
    return ' ';
  });
  return { rest, entities };
}
