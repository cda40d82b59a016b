import { extractEntities, type Entities } from '../../text/entities.js';
import { readIdNumber, type IdReadingProblem } from './identity-input.js';

/**
 * A username in a message (the phone, e-mail or ID number used to register), with the message's
 * text around it (`rest`: every phone, e-mail, ID number and code taken out, half-width).
 */
export type UsernameReading =
  | { kind: 'none'; rest: string }
  | { kind: 'found'; username: string; rest: string }
  | { kind: 'invalid-id'; problem: IdReadingProblem; rest: string };

export interface UsernameReadingOptions {
  /** Entities already extracted from `text` (the engine's analysis), to avoid a second pass. */
  entities?: Entities;
  /** E-mail addresses that are never a username (our own support address in a mail). */
  ignoreEmails?: readonly string[];
}

/**
 * The one reader of usernames, for flows and mail alike: an e-mail address, a mobile number, or a
 * valid resident ID number, in that order. An ID-shaped number that fails its checks comes back
 * with the precise problem, so the user can be told what is wrong with it.
 */
export function readUsername(text: string, now: Date, options: UsernameReadingOptions = {}): UsernameReading {
  const extracted = extractEntities(text);
  const entities = options.entities ?? extracted.entities;
  const rest = extracted.rest;
  const ignored = new Set((options.ignoreEmails ?? []).map((address) => address.toLowerCase()));
  const email = entities.emails.find((address) => !ignored.has(address.toLowerCase()));
  if (email) return { kind: 'found', username: email, rest };
  const phone = entities.phones[0];
  if (phone) return { kind: 'found', username: phone, rest };
  const id = readIdNumber({ text, entities }, now);
  if (id.kind === 'valid') return { kind: 'found', username: id.value, rest };
  if (id.kind === 'invalid') return { kind: 'invalid-id', problem: id.problem, rest };
  return { kind: 'none', rest };
}

/** The username a reading found, or `undefined`. */
export function usernameOf(reading: UsernameReading): string | undefined {
  return reading.kind === 'found' ? reading.username : undefined;
}
