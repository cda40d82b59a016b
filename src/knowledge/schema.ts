import { z } from 'zod';

/** Guided flows a knowledge entry can lead into. */
export const FLOW_NAMES = ['recover-username', 'recover-password', 'duplicate-id', 'bind-account', 'escalate'] as const;
export type FlowName = (typeof FLOW_NAMES)[number];

const phrase = z.string().trim().min(2).max(200);

/** One knowledge entry: a help-center topic, or a small-talk intent. */
export const knowledgeEntrySchema = z
  .object({
    /** Topic id from the catalogue (`recover.username`) or `smalltalk.<intent>`. */
    id: z.string().regex(/^[a-z][a-z-]*(\.[a-z][a-z-]*)+$/, 'must look like "area.topic"'),
    kind: z.enum(['faq', 'small-talk']).default('faq'),
    title: z.string().trim().min(2).max(80),
    /** The answer, in simplified Chinese, written from the catalogue's facts. */
    answer: z.string().trim().min(2).max(1500),
    /** How people really ask: varied, colloquial phrasings. */
    questions: z.array(phrase).min(3),
    /** Key phrases and the exact prompts users see on screen (symptoms). */
    phrases: z.array(phrase).default([]),
    /** The guided flow this topic leads into; `start: auto` begins it at once, `offer` asks first. */
    flow: z.object({ name: z.enum(FLOW_NAMES), start: z.enum(['auto', 'offer']) }).strict().optional(),
    /** Other topic ids worth suggesting next to this one. */
    related: z.array(z.string()).default([]),
  })
  .strict();

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
  })
  .strict();

export type Commands = z.infer<typeof commandsSchema>;

/** Questions outside the catalogue, used as negative examples (`knowledge/out-of-scope.yaml`). */
export const outOfScopeSchema = z.object({ questions: z.array(phrase).min(1) }).strict();
