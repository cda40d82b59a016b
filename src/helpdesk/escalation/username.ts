import { extractEntities } from '../../text/entities.js';

/** A username found in free text, and the text around it. */
export interface UsernameFinding {
  /** A phone, e-mail or valid ID number: the three kinds of 学信网 username. */
  username?: string;
  /** Something that looked like an ID number but failed its checks. */
  invalidId: boolean;
  /** The text with every phone, e-mail, ID number and code taken out (half-width). */
  rest: string;
}

/**
 * Picks the username out of a message or mail: an e-mail address, a mobile number, or a valid
 * resident ID number, in that order. Addresses in `ignore` (our own) are skipped.
 */
export function findUsername(text: string, ignore: string[] = []): UsernameFinding {
  const { rest, entities } = extractEntities(text);
  const ignored = new Set(ignore.map((address) => address.toLowerCase()));
  const email = entities.emails.find((address) => !ignored.has(address));
  const phone = entities.phones[0];
  const validId = entities.idNumbers.find((id) => id.check.ok);
  const username = email ?? phone ?? (validId?.check.ok ? validId.check.value : undefined);
  return { username, invalidId: !username && entities.idNumbers.length > 0, rest };
}
