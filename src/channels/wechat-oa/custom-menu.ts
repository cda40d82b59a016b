import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { ChoiceAction } from '../../conversation/types.js';

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

const leaf = z.discriminatedUnion('action', [
  z.object({ name: z.string().min(1), action: z.literal('flow'), flow: z.string().min(1) }).strict(),
  z.object({ name: z.string().min(1), action: z.literal('topic'), topic: z.string().min(1) }).strict(),
  z.object({ name: z.string().min(1), action: z.literal('human') }).strict(),
  z.object({ name: z.string().min(1), action: z.literal('view'), url: z.string().url().startsWith('https://') }).strict(),
]);

const subButton = leaf.refine((button) => utf8Bytes(button.name) <= 60, { message: 'a sub-button name is at most 60 bytes' });

const topButton = z.union([z.object({ name: z.string().min(1), sub_buttons: z.array(subButton).min(1).max(5) }).strict(), leaf]);

const menuSchema = z
  .object({
    buttons: z
      .array(topButton.refine((button) => utf8Bytes(button.name) <= 16, { message: 'a top button name is at most 16 bytes' }))
      .min(1)
      .max(3),
  })
  .strict();

export type CustomMenu = z.infer<typeof menuSchema>;
type Leaf = z.infer<typeof leaf>;

/** What the assistant knows, to check the menu against. */
export interface MenuTargets {
  hasFlow(name: string): boolean;
  hasTopic(id: string): boolean;
}

/** The menu file's default place. */
export function customMenuFile(knowledgeDir: string): string {
  return path.join(knowledgeDir, 'wechat', 'custom-menu.yaml');
}

/**
 * Reads and checks `knowledge/wechat/custom-menu.yaml`: WeChat's limits, and that every flow and
 * topic it names exists. Throws an error naming the file and the field.
 */
export function loadCustomMenu(file: string, targets: MenuTargets): CustomMenu {
  const parsed = menuSchema.safeParse(parseYaml(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`${file}:\n  ${problems.join('\n  ')}`);
  }
  const unknown: string[] = [];
  for (const button of leaves(parsed.data)) {
    if (button.action === 'flow' && !targets.hasFlow(button.flow)) unknown.push(`${button.name}: no flow named ${button.flow}`);
    if (button.action === 'topic' && !targets.hasTopic(button.topic)) unknown.push(`${button.name}: no topic ${button.topic}`);
  }
  if (unknown.length > 0) throw new Error(`${file}:\n  ${unknown.join('\n  ')}`);
  return parsed.data;
}

function leaves(menu: CustomMenu): Leaf[] {
  return menu.buttons.flatMap((button) => ('sub_buttons' in button ? button.sub_buttons : [button]));
}

/** The EventKey a CLICK button sends back: `flow:…`, `topic:…` or `human`. */
function eventKey(button: Exclude<Leaf, { action: 'view' }>): string {
  switch (button.action) {
    case 'flow':
      return `flow:${button.flow}`;
    case 'topic':
      return `topic:${button.topic}`;
    case 'human':
      return 'human';
  }
}

/** The body of WeChat's `menu/create` call. */
export function toWechatMenu(menu: CustomMenu): { button: unknown[] } {
  const toButton = (button: Leaf) =>
    button.action === 'view' ? { type: 'view', name: button.name, url: button.url } : { type: 'click', name: button.name, key: eventKey(button) };
  return {
    button: menu.buttons.map((button) =>
      'sub_buttons' in button ? { name: button.name, sub_button: button.sub_buttons.map(toButton) } : toButton(button),
    ),
  };
}

/** What a CLICK event's EventKey asks the assistant to do; `undefined` for keys we never published. */
export function actionOfEventKey(key: string): ChoiceAction | undefined {
  if (key === 'human') return { kind: 'human' };
  const match = /^(flow|topic):([A-Za-z0-9._-]{1,64})$/.exec(key);
  if (!match) return undefined;
  return match[1] === 'flow' ? { kind: 'flow', flow: match[2]! } : { kind: 'topic', topicId: match[2]! };
}

/** Each CLICK key with its button's name (what the user "said" by tapping it). */
export function buttonNamesByKey(menu: CustomMenu): Map<string, string> {
  const names = new Map<string, string>();
  for (const button of leaves(menu)) if (button.action !== 'view') names.set(eventKey(button), button.name);
  return names;
}
