// Raw HTTP requests for tests: the path goes out exactly as written (no URL normalisation).

import http from 'node:http';

export interface RawResponse {
	status: number;
	headers: http.IncomingHttpHeaders;
	body: Buffer;
	text: string;
	json(): unknown;
}

export interface RawRequestOptions {
	method?: string;
	headers?: Record<string, string | number>;
	body?: Buffer | string;
	/** Send the body with Transfer-Encoding: chunked (no Content-Length). */
	chunked?: boolean;
}

export function rawRequest(
	port: number,
	rawPath: string,
	options: RawRequestOptions = {}
): Promise<RawResponse> {
	return new Promise((resolve, reject) => {
		const headers: Record<string, string | number> = { ...options.headers };
		if (options.body !== undefined && !options.chunked) {
			headers['Content-Length'] = Buffer.byteLength(options.body);
		}
		const req = http.request(
			{
				host: '127.0.0.1',
				port,
				path: rawPath,
				method: options.method ?? 'GET',
				headers,
				agent: false
			},
			(res) => {
				const chunks: Buffer[] = [];
				res.on('data', (chunk: Buffer) => chunks.push(chunk));
				res.on('error', reject);
				res.on('end', () => {
					const body = Buffer.concat(chunks);
					const text = body.toString('utf8');
					resolve({
						status: res.statusCode ?? 0,
						headers: res.headers,
						body,
						text,
						json: () => JSON.parse(text) as unknown
					});
				});
			}
		);
		req.on('error', reject);
		if (options.body !== undefined) req.write(options.body);
		req.end();
	});
}
