import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';

/** A preset reason for rejecting a photo review; its text is what the user is told. */
export interface RejectReason {
  id: string;
  /** Short label for the agent's list. */
  label: string;
  text: string;
}

const reasonsFileSchema = z
  .object({
    reasons: z
      .array(z.object({ id: z.string().regex(/^[a-z0-9-]+$/), label: z.string().min(1).max(40), text: z.string().min(1).max(300) }).strict())
      .max(30),
  })
  .strict();

/** Reads `templates/console/reject-reasons.yaml`; a broken file stops start-up with its name. */
export function loadRejectReasons(file: string): RejectReason[] {
  const parsed = reasonsFileSchema.safeParse(YAML.parse(readFileSync(file, 'utf8')));
  if (!parsed.success)
    throw new Error(`${file} is invalid: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  return parsed.data.reasons;
}
