// The plans an account can be on: whether it may share albums and how much it may store.

import type { Plan } from '../../src/lib/protocol';

const GiB = 1024 ** 3;
const TiB = 1024 ** 4;

export interface PlanDefinition extends Plan {
	/** Storage quota a new account on this plan gets; null = unlimited. */
	quotaBytes: number | null;
}

/**
 * The hosted product limits sharing to paid plans; a self-hosted relay (the default) lets everyone
 * share and store without limit. An admin can still move one account to another plan or quota.
 */
export const PLANS = {
	free: { id: 'free', name: 'Free', sharing: false, quotaBytes: 10 * GiB },
	paid: { id: 'paid', name: 'Paid', sharing: true, quotaBytes: 1 * TiB },
	'self-hosted': { id: 'self-hosted', name: 'Self-hosted', sharing: true, quotaBytes: null }
} as const satisfies Record<string, PlanDefinition>;

export type PlanId = keyof typeof PLANS;

export const PLAN_IDS = Object.keys(PLANS) as PlanId[];

export function isPlanId(value: string): value is PlanId {
	return Object.hasOwn(PLANS, value);
}

/** The plan of a stored account; an id this relay no longer knows reads as Free (the safe side). */
export function planOf(id: string): PlanDefinition {
	return isPlanId(id) ? PLANS[id] : { ...PLANS.free, id, name: id };
}

/** The public part of a plan, as the API shows it. */
export function publicPlan(plan: PlanDefinition): Plan {
	return { id: plan.id, name: plan.name, sharing: plan.sharing };
}
