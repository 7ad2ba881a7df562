// Turns valibot issues into one short message that names the bad field.

import * as v from 'valibot';
import { MAX_ERROR_MESSAGE_LENGTH } from './limits';

const MAX_SHOWN_MESSAGE = 300;

/**
 * "envelope.ct: is too long: ..." for the first issue, plus how many more there were. The message
 * never carries more than a short prefix of what the sender sent.
 */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
	const first = issues[0];
	if (!first) return 'invalid message';
	const path = v.getDotPath(first);
	const text = `${path ?? 'message'}: ${explain(first)}`;
	const others = issues.length - 1;
	const more = others > 0 ? ` (and ${others} more problem${others === 1 ? '' : 's'})` : '';
	return clip(text, MAX_SHOWN_MESSAGE) + more;
}

function explain(issue: v.BaseIssue<unknown>): string {
	const isObjectSchema = issue.type === 'strict_object' || issue.type === 'object';
	if (isObjectSchema && issue.expected === 'never') return 'is not an allowed field';
	if (isObjectSchema && issue.received === 'undefined' && issue.path?.length) return 'is missing';
	if (issue.kind === 'schema' && issue.received === 'undefined') return 'is missing';
	return issue.message;
}

/** Cuts `text` to at most `max` characters, marking the cut. */
export function clip(text: string, max: number = MAX_ERROR_MESSAGE_LENGTH): string {
	return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
