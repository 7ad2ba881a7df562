// The shape of an HTTP API route: which paths and methods it takes and how it answers.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RelayContext } from '../context';

export interface ApiRequest {
	req: IncomingMessage;
	res: ServerResponse;
	/** The request path as sent, still percent-encoded, without the query. */
	rawPath: string;
	/** What the route's `match` captured from the raw path. */
	params: Readonly<Record<string, string>>;
	/** The request body, already read and capped at MAX_JSON_BODY_BYTES. */
	body: Buffer;
	ctx: RelayContext;
}

export interface ApiRoute {
	methods: readonly string[];
	/** The captured params when `rawPath` is this route's, else null. */
	match(rawPath: string): Record<string, string> | null;
	handle(request: ApiRequest): void | Promise<void>;
}
