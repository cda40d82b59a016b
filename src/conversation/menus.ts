import { randomBytes } from 'node:crypto';
import type { Choice, ChoiceView, ConversationState, MenuRef, OfferedChoice, PastMenu } from './types.js';

/** Old menus remembered, so a late click on one is recognised instead of read as a newer option. */
const PAST_MENUS_KEPT = 6;

/** Random bytes drawn 6 at a time from a pool: one call into the crypto library per 256 menus. */
const MENU_ID_BYTES = 6;
let menuIdPool = Buffer.alloc(0);
let menuIdOffset = 0;

/** A fresh menu id: short, lower-case letters and digits, unique enough within one conversation. */
export function newMenuId(): string {
  if (menuIdOffset + MENU_ID_BYTES > menuIdPool.length) {
    menuIdPool = randomBytes(MENU_ID_BYTES * 256);
    menuIdOffset = 0;
  }
  const value = menuIdPool.readUIntBE(menuIdOffset, MENU_ID_BYTES);
  menuIdOffset += MENU_ID_BYTES;
  return `m${value.toString(36)}`;
}

/** The id a channel sends back when the user picks this option. */
export function choiceIdOf(menuId: string, number: number): string {
  return `${menuId}-${number}`;
}

/** `m1a2b3-2` → the menu id and the option number; `undefined` for anything else. */
export function parseChoiceId(choiceId: string): { menuId: string; number: number } | undefined {
  const match = /^(m[0-9a-z]{1,16})-([1-9]\d?)$/.exec(choiceId.trim());
  if (!match) return undefined;
  return { menuId: match[1]!, number: Number(match[2]) };
}

/** The options as channels receive them. */
export function choiceViews(menuId: string, choices: Choice[]): ChoiceView[] {
  return choices.map((choice) => ({ id: choiceIdOf(menuId, choice.number), number: choice.number, label: choice.label }));
}

/**
 * Closes the menu that is open: it joins the past menus (newest first) and nothing is offered
 * until this turn offers something. Returns it, for this turn's pick.
 */
export function retireMenu(state: ConversationState): PastMenu | undefined {
  const current: PastMenu | undefined = state.offered.length > 0 ? { ...(state.menu ?? { id: '' }), options: state.offered } : undefined;
  if (current?.id) state.pastMenus = [current, ...(state.pastMenus ?? [])].slice(0, PAST_MENUS_KEPT);
  state.offered = [];
  delete state.menu;
  return current;
}

/** Opens a menu for this turn's options. */
export function openMenu(state: ConversationState, menu: MenuRef, options: OfferedChoice[]): void {
  state.menu = menu;
  state.offered = options;
}

/** Where a clicked id points: the open menu, an older one, or nothing known. */
export type ClickedChoice =
  { kind: 'current'; option: OfferedChoice; menu: PastMenu } | { kind: 'stale'; option: OfferedChoice; menu: PastMenu } | { kind: 'unknown' };

export function findClicked(choiceId: string, current: PastMenu | undefined, state: ConversationState): ClickedChoice {
  const parsed = parseChoiceId(choiceId);
  if (!parsed) return { kind: 'unknown' };
  if (current?.id === parsed.menuId) {
    const option = current.options[parsed.number - 1];
    return option ? { kind: 'current', option, menu: current } : { kind: 'unknown' };
  }
  const past = state.pastMenus?.find((menu) => menu.id === parsed.menuId);
  const option = past?.options[parsed.number - 1];
  return past && option ? { kind: 'stale', option, menu: past } : { kind: 'unknown' };
}
