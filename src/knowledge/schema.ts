import { z } from 'zod';

const phrase = z.string().trim().min(2).max(200);

/**
 * What an entry is:
 * - `faq`: a help-center topic from the catalogue, answered with its text;
 * - `small-talk`: greetings, thanks and the like;
 * - `triage`: a vague complaint ("登录不了"): a short clarifying question with the likely causes as
 *   choices, or (`handoff`) straight to a human with the user's words attached;
 * - `near-domain`: a 学信网 service this assistant does not cover; recognised, so no topic is guessed,
 *   and answered honestly with where to get help;
 * - `status`: the user's own status (review, ticket, binding), looked up for the user.
 */
export const ENTRY_KINDS = ['faq', 'small-talk', 'triage', 'near-domain', 'status'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

/** A personal status the assistant can look up for a user whose chat is bound to an account. */
export const PERSONAL_STATUSES = ['review', 'ticket', 'binding'] as const;
export type PersonalStatus = (typeof PERSONAL_STATUSES)[number];

/** One likely cause a triage question offers: a topic to answer, a flow to start, or a human. */
const triageOptionSchema = z
  .object({
    label: z.string().trim().min(2).max(40),
    topic: z.string().optional(),
    flow: z.string().optional(),
    human: z.literal(true).optional(),
  })
  .strict()
  .refine((option) => [option.topic, option.flow, option.human].filter((target) => target !== undefined).length === 1, {
    message: 'each option needs exactly one of topic, flow or human',
  });

export type TriageOption = z.infer<typeof triageOptionSchema>;

/** One knowledge entry: a help-center topic, or a small-talk intent. */
export const knowledgeEntrySchema = z
  .object({
    /** Topic id from the catalogue (`recover.username`) or `smalltalk.<intent>`. */
    id: z.string().regex(/^[a-z][a-z-]*(\.[a-z][a-z-]*)+$/, 'must look like "area.topic"'),
    kind: z.enum(ENTRY_KINDS).default('faq'),
    title: z.string().trim().min(2).max(80),
    /** The answer, in simplified Chinese, written from the catalogue's facts. */
    answer: z.string().trim().min(2).max(1500),
    /** How people really ask: varied, colloquial phrasings. */
    questions: z.array(phrase).min(3),
    /** Key phrases and the exact prompts users see on screen (symptoms). */
    phrases: z.array(phrase).default([]),
    /**
     * The guided flow this topic leads into; `start: auto` begins it at once, `offer` asks first.
     * Flows register their own names, so the name is checked against them at start-up.
     */
    flow: z
      .object({ name: z.string().regex(/^[a-z][a-z-]*$/, 'must be a flow name such as "recover-password"'), start: z.enum(['auto', 'offer']) })
      .strict()
      .optional(),
    /** Other topic ids worth suggesting next to this one. */
    related: z.array(z.string()).default([]),
    /** Triage: the likely causes, offered as choices after the clarifying question (`answer`). */
    options: z.array(triageOptionSchema).max(6).default([]),
    /** Triage: hand the user to a human at once, with the message and this entry's id on the ticket. */
    handoff: z.boolean().default(false),
    /** The user's own status that replaces the general answer when the chat is bound to an account. */
    status: z.enum(PERSONAL_STATUSES).optional(),
  })
  .strict()
  .refine((entry) => entry.kind !== 'triage' || entry.handoff || entry.options.length >= 2, {
    message: 'a triage entry offers at least two options or hands over to a human',
    path: ['options'],
  })
  .refine((entry) => entry.kind !== 'status' || entry.status !== undefined, { message: 'a status entry names its status', path: ['status'] });

export type KnowledgeEntry = z.infer<typeof knowledgeEntrySchema>;

/** Word lists that tune segmentation and matching, in `knowledge/lexicon/`. */
export const synonymsSchema = z
  .object({
    /** Each group: the first word is canonical, the others are read as it. */
    groups: z.array(z.array(z.string().trim().min(1)).min(2)),
    /** Spelling variants rewritten in the raw text before segmentation (typos, old forms). */
    variants: z.record(z.string().min(1), z.string().min(1)).default({}),
  })
  .strict();

export type Synonyms = z.infer<typeof synonymsSchema>;

/** Command words understood anywhere (`knowledge/lexicon/commands.yaml`). */
export const commandsSchema = z
  .object({
    cancel: z.array(z.string().min(1)).min(1),
    back: z.array(z.string().min(1)).min(1),
    human: z.array(z.string().min(1)).min(1),
    yes: z.array(z.string().min(1)).min(1),
    no: z.array(z.string().min(1)).min(1),
    /** Words that mark a message as a question wherever they appear ("怎么", "吗"). */
    question: z.array(z.string().min(1)).default([]),
  })
  .strict();

export type Commands = z.infer<typeof commandsSchema>;

/** A file of several entries of one kind (`knowledge/triage.yaml`, `near-domain.yaml`, `personal-status.yaml`). */
export const entryListSchema = z.object({ entries: z.array(knowledgeEntrySchema).min(1) }).strict();

/** Questions outside the catalogue, used as negative examples (`knowledge/out-of-scope.yaml`). */
export const outOfScopeSchema = z.object({ questions: z.array(phrase).min(1) }).strict();
