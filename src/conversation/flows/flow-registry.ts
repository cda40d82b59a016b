import type { KnowledgeBase } from '../../knowledge/loader.js';
import type { FlowDefinition, FlowName } from '../types.js';

/** A knowledge entry that leads into a flow nobody registered. */
export interface UnknownFlowReference {
  entryId: string;
  flow: FlowName;
}

/**
 * Knowledge entries naming a flow that is not registered. Flows register their own names when
 * their feature module prepares, so this runs once every module has: at start-up.
 */
export function unknownFlowReferences(
  knowledge: Pick<KnowledgeBase, 'entries'>,
  flows: ReadonlyMap<FlowName, FlowDefinition>,
): UnknownFlowReference[] {
  return knowledge.entries.flatMap((entry) => (entry.flow && !flows.has(entry.flow.name) ? [{ entryId: entry.id, flow: entry.flow.name }] : []));
}
