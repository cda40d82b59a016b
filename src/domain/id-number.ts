/** Identity-document rules of the account system (GB 11643-1999 for resident IDs). */

export type IdType = 'resident-id' | 'other';

export type IdNumberProblem =
  | { kind: 'empty' }
  | { kind: 'length'; length: number }
  | { kind: 'characters' }
  | { kind: 'region' }
  | { kind: 'birth-date' }
  | { kind: 'check-digit'; expected: string };

export type IdNumberCheck = { ok: true; value: string; format: '18' | '15' | 'other'; birthDate?: string } | { ok: false; problem: IdNumberProblem };

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_DIGITS = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
const PROVINCES = new Set([
  11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91,
]);

/** Removes spaces (ASCII and full-width), hyphens and full-width digits; upper-cases x. */
export function compactIdNumber(raw: string): string {
  return raw
    .normalize('NFKC')
    .replace(/[\s-]+/g, '')
    .toUpperCase();
}

/** The GB 11643 check character for the first 17 digits. */
export function checkDigitFor(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i += 1) sum += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK_DIGITS[sum % 11]!;
}

/**
 * Validates an identity-document number. Resident IDs must have 18 characters with a valid
 * birth date and check digit; 15-digit first-generation numbers are accepted (the 征兵 case).
 * Other document types only need to be non-empty letters and digits.
 */
export function checkIdNumber(raw: string, idType: IdType = 'resident-id', today: Date = new Date()): IdNumberCheck {
  const value = compactIdNumber(raw);
  if (value === '') return { ok: false, problem: { kind: 'empty' } };
  if (idType === 'other') {
    if (!/^[0-9A-Z]{4,30}$/.test(value)) return { ok: false, problem: { kind: 'characters' } };
    return { ok: true, value, format: 'other' };
  }
  if (value.length !== 18 && value.length !== 15) return { ok: false, problem: { kind: 'length', length: value.length } };
  const pattern = value.length === 18 ? /^\d{17}[\dX]$/ : /^\d{15}$/;
  if (!pattern.test(value)) return { ok: false, problem: { kind: 'characters' } };
  if (!PROVINCES.has(Number(value.slice(0, 2)))) return { ok: false, problem: { kind: 'region' } };
  const birth = value.length === 18 ? value.slice(6, 14) : `19${value.slice(6, 12)}`;
  if (!isRealBirthDate(birth, today)) return { ok: false, problem: { kind: 'birth-date' } };
  if (value.length === 18) {
    const expected = checkDigitFor(value.slice(0, 17));
    if (value[17] !== expected) return { ok: false, problem: { kind: 'check-digit', expected } };
    return { ok: true, value, format: '18', birthDate: birth };
  }
  return { ok: true, value, format: '15', birthDate: birth };
}

/** The 15-digit form of an 18-digit resident ID (drop the century and the check digit). */
export function toFifteenDigit(id18: string): string {
  return id18.slice(0, 6) + id18.slice(8, 17);
}

/** The 18-digit form of a 15-digit resident ID (add "19" and the check digit). */
export function toEighteenDigit(id15: string): string {
  const first17 = `${id15.slice(0, 6)}19${id15.slice(6)}`;
  return first17 + checkDigitFor(first17);
}

function isRealBirthDate(yyyymmdd: string, today: Date): boolean {
  const year = Number(yyyymmdd.slice(0, 4));
  const month = Number(yyyymmdd.slice(4, 6));
  const day = Number(yyyymmdd.slice(6, 8));
  if (year < 1900 || month < 1 || month > 12 || day < 1) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return false;
  return date.getTime() <= today.getTime();
}
