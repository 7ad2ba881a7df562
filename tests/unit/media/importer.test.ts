// Spec of the importer: what it refuses, how it queues, cancels and survives a crashed worker, how it routes videos.

import { describe, expect, it } from 'vitest';
import {
	MediaImporter,
	MediaImportError,
	type MediaImporterOptions,
	type VideoPoster,
	type WorkerLike
} from '../../../src/lib/media';
import type { ImageAnalysis, WorkerReply, WorkerRequest } from '../../../src/lib/media/types';
import { insertExif } from '../../fixtures/exif-writer';
import { makeJpeg } from '../../fixtures/make-jpeg';
import { ascii, ftyp, rejection, rejectionCode } from './helpers';

class FakeWorker implements WorkerLike {
	onmessage: WorkerLike['onmessage'] = null;
	onerror: WorkerLike['onerror'] = null;
	onmessageerror: WorkerLike['onmessageerror'] = null;
	readonly sent: WorkerRequest[] = [];
	terminated = false;

	postMessage(message: WorkerRequest): void {
		this.sent.push(message);
	}

	terminate(): void {
		this.terminated = true;
	}

	jobs(): Exclude<WorkerRequest, { type: 'cancel' }>[] {
		return this.sent.filter((m) => m.type !== 'cancel');
	}

	reply(reply: WorkerReply): void {
		this.onmessage?.(new MessageEvent('message', { data: reply }));
	}

	answer(id: number, analysis: Partial<ImageAnalysis> = {}): void {
		const job = this.sent.find((m) => m.id === id);
		const contentHash = new Uint8Array(32).fill(id);
		if (job?.type === 'analyze-video') {
			this.reply({ id, ok: true, result: { type: 'analyze-video', metadata: null, contentHash } });
			return;
		}
		this.reply({
			id,
			ok: true,
			result: { type: 'analyze-image', analysis: { ...ANALYSIS, ...analysis }, contentHash }
		});
	}

	crash(message: string): void {
		this.onerror?.({ message, preventDefault() {} } as unknown as ErrorEvent);
	}
}

const ANALYSIS: ImageAnalysis = {
	width: 3024,
	height: 4032,
	orientation: 6,
	takenAt: Date.UTC(2023, 6, 14),
	takenAtSource: 'exif-offset',
	exif: { camera: 'Pixel 8' },
	thumb: { bytes: new Uint8Array([1, 2, 3]), mime: 'image/webp', width: 384, height: 512 },
	thumbhash: new Uint8Array([9, 9, 9]),
	decodable: true
};

const jpegBytes = insertExif(makeJpeg({ width: 16, height: 16 }), { make: 'X', orientation: 6 });
const photo = (name = 'IMG_0001.jpg', type = 'image/jpeg') =>
	new File([jpegBytes], name, { type, lastModified: Date.UTC(2022, 0, 1) });
const mp4 = () =>
	new File(
		[Uint8Array.from([...ftyp('isom', 'isom', 'mp42'), 0, 0, 0, 8, ...ascii('mdat')])],
		'clip.mp4',
		{
			type: 'video/mp4',
			lastModified: Date.UTC(2021, 5, 1)
		}
	);

function setup(options: Partial<MediaImporterOptions> = {}) {
	const workers: FakeWorker[] = [];
	const importer = new MediaImporter({
		createWorker: () => {
			const worker = new FakeWorker();
			workers.push(worker);
			return worker;
		},
		capturePoster: () => Promise.reject(new Error('no video expected')),
		...options
	});
	return { importer, workers, worker: () => workers.at(-1)! };
}

/** Lets pending promise callbacks run until `condition` holds (the importer reads files asynchronously). */
async function until(condition: () => boolean): Promise<void> {
	for (let i = 0; i < 200 && !condition(); i++)
		await new Promise((resolve) => setTimeout(resolve, 0));
	expect(condition()).toBe(true);
}

describe('MediaImporter: what it refuses', () => {
	it('refuses empty files, files that are not photos or videos, and files over the limit', async () => {
		const { importer, workers } = setup({ maxImageBytes: 100 });
		const empty = await rejection(
			importer.import(new File([], 'empty.jpg', { type: 'image/jpeg' }))
		);
		expect(empty).toBeInstanceOf(MediaImportError);
		expect((empty as MediaImportError).code).toBe('empty-file');
		expect((empty as MediaImportError).message).toContain('“empty.jpg” is empty');

		// A PDF named like a photo is still a PDF.
		const pdf = new File([Uint8Array.from(ascii('%PDF-1.7 ...'))], 'holiday.jpg', {
			type: 'image/jpeg'
		});
		const notMedia = (await rejection(importer.import(pdf))) as MediaImportError;
		expect(notMedia.code).toBe('not-media');
		expect(notMedia.message).toContain('not a photo or video');

		const tooLarge = (await rejection(importer.import(photo()))) as MediaImportError;
		expect(tooLarge.code).toBe('too-large');
		expect(tooLarge.message).toMatch(/up to 100 bytes/);

		expect(workers).toHaveLength(0);
	});
});

describe('MediaImporter: images', () => {
	it('sends images to the worker with the type their bytes say, and assembles the result', async () => {
		const { importer, worker } = setup();
		// The browser guessed wrong (a renamed file): the bytes are a JPEG.
		const file = photo('IMG_0001.mov', 'video/quicktime');
		const result = importer.import(file);
		await until(() => worker()?.sent.length === 1);
		const request = worker().sent[0]!;
		expect(request).toMatchObject({
			type: 'analyze-image',
			mime: 'image/jpeg',
			lastModified: Date.UTC(2022, 0, 1)
		});
		expect(request.type === 'analyze-image' && request.file).toBe(file);
		worker().answer(request.id);
		const media = await result;
		expect(media).toMatchObject({
			kind: 'image',
			mime: 'image/jpeg',
			filename: 'IMG_0001.mov',
			size: file.size,
			width: 3024,
			height: 4032,
			orientation: 6,
			decodable: true,
			exif: { camera: 'Pixel 8' }
		});
		expect(media.contentHash).toEqual(new Uint8Array(32).fill(request.id));
	});

	it('passes on the error a worker reports, with its code', async () => {
		const { importer, worker } = setup();
		const result = importer.import(photo());
		await until(() => worker()?.sent.length === 1);
		worker().reply({ id: worker().sent[0]!.id, ok: false, code: 'read-failed', message: 'gone' });
		expect(await rejectionCode(result)).toBe('read-failed');
	});
});

describe('MediaImporter: queue and cancelling', () => {
	it('imports at most `concurrency` files at once, in the order given', async () => {
		const { importer, worker } = setup({ concurrency: 2 });
		const files = Array.from({ length: 5 }, (_, i) => photo(`IMG_${i}.jpg`));
		const results = files.map((file) => importer.import(file));
		await until(() => worker()?.jobs().length === 2);
		expect(importer.queued).toBe(5);

		let maxInFlight = 0;
		for (let done = 0; done < 5; done++) {
			const jobs = worker().jobs();
			maxInFlight = Math.max(maxInFlight, jobs.length - done);
			worker().answer(jobs[done]!.id);
			await results[done];
			if (done < 4) await until(() => worker().jobs().length === Math.min(5, done + 3));
		}
		expect(maxInFlight).toBe(2);
		const names = await Promise.all(results);
		expect(names.map((m) => m.filename)).toEqual(files.map((f) => f.name));
		expect(
			worker()
				.jobs()
				.map((job) => job.type === 'analyze-image' && job.file)
		).toEqual(files);
	});

	it('drops a cancelled file from the queue without sending it to the worker', async () => {
		const { importer, worker } = setup({ concurrency: 1 });
		const first = importer.import(photo('a.jpg'));
		const controller = new AbortController();
		const second = importer.import(photo('b.jpg'), { signal: controller.signal });
		const third = importer.import(photo('c.jpg'));
		await until(() => worker()?.jobs().length === 1);
		controller.abort();
		expect(await rejectionCode(second)).toBe('aborted');
		worker().answer(worker().jobs()[0]!.id);
		await first;
		await until(() => worker().jobs().length === 2);
		const sentNames = worker()
			.jobs()
			.map((job) => (job.file as File).name);
		expect(sentNames).toEqual(['a.jpg', 'c.jpg']);
		worker().answer(worker().jobs()[1]!.id);
		expect((await third).filename).toBe('c.jpg');
	});

	it('cancelling a running import stops the worker job, rejects at once and frees the slot', async () => {
		const { importer, worker } = setup({ concurrency: 1 });
		const controller = new AbortController();
		const running = importer.import(photo('a.jpg'), { signal: controller.signal });
		const next = importer.import(photo('b.jpg'));
		await until(() => worker()?.jobs().length === 1);
		const id = worker().jobs()[0]!.id;
		controller.abort();
		expect(await rejectionCode(running)).toBe('aborted');
		expect(worker().sent).toContainEqual({ type: 'cancel', id });
		// A late answer for the cancelled job changes nothing.
		worker().answer(id);
		await until(() => worker().jobs().length === 2);
		worker().answer(worker().jobs()[1]!.id);
		expect((await next).filename).toBe('b.jpg');
	});

	it('fails the imports of a crashed worker and starts a new worker for the next file', async () => {
		const { importer, workers, worker } = setup();
		const doomed = importer.import(photo());
		await until(() => worker()?.sent.length === 1);
		worker().crash('out of memory');
		const error = (await rejection(doomed)) as MediaImportError;
		expect(error.code).toBe('worker-failed');
		expect(error.message).toContain('out of memory');
		expect(workers[0]!.terminated).toBe(true);

		const retry = importer.import(photo());
		await until(() => workers.length === 2 && workers[1]!.sent.length === 1);
		workers[1]!.answer(workers[1]!.sent[0]!.id);
		expect((await retry).decodable).toBe(true);
	});

	it('reports a worker that cannot start as worker-failed', async () => {
		const { importer } = setup({
			createWorker: () => {
				throw new Error('blocked by CSP');
			}
		});
		expect(await rejectionCode(importer.import(photo()))).toBe('worker-failed');
	});

	it('ends an idle worker, and dispose cancels everything', async () => {
		const { importer, workers, worker } = setup({ idleMs: 0 });
		const one = importer.import(photo());
		await until(() => worker()?.sent.length === 1);
		worker().answer(worker().sent[0]!.id);
		await one;
		await until(() => workers[0]!.terminated);

		const pending = importer.import(photo());
		await until(() => workers.length === 2 && workers[1]!.sent.length === 1);
		importer.dispose();
		expect(await rejectionCode(pending)).toBe('aborted');
		expect(workers[1]!.terminated).toBe(true);
	});
});

describe('MediaImporter: videos', () => {
	const poster: VideoPoster = {
		width: 1920,
		height: 1080,
		durationMs: 12_345,
		thumb: { bytes: new Uint8Array([1]), mime: 'image/webp', width: 512, height: 288 },
		thumbhash: new Uint8Array([7])
	};

	it('takes the poster on the page and the hash in the worker', async () => {
		const posters: Blob[] = [];
		const { importer, worker } = setup({
			capturePoster: async (file) => {
				posters.push(file);
				return poster;
			}
		});
		const file = mp4();
		const result = importer.import(file);
		await until(() => worker()?.sent.length === 1);
		expect(worker().sent[0]).toMatchObject({ type: 'analyze-video', mime: 'video/mp4', file });
		worker().answer(worker().sent[0]!.id);
		const media = await result;
		expect(posters).toEqual([file]);
		expect(media).toMatchObject({
			kind: 'video',
			mime: 'video/mp4',
			width: 1920,
			height: 1080,
			durationMs: 12_345,
			takenAt: Date.UTC(2021, 5, 1),
			takenAtSource: 'file',
			orientation: 1,
			thumb: poster.thumb,
			decodable: true
		});
		expect(media.problem).toBeUndefined();
	});

	it('imports a video this browser cannot play, without a poster and saying why', async () => {
		const { importer, worker } = setup({
			capturePoster: () =>
				Promise.reject(
					new MediaImportError('video-unsupported', 'This browser cannot play this video.')
				)
		});
		const result = importer.import(mp4());
		await until(() => worker()?.sent.length === 1);
		worker().answer(worker().sent[0]!.id);
		const media = await result;
		expect(media).toMatchObject({
			kind: 'video',
			decodable: false,
			width: 0,
			height: 0,
			problem: { code: 'video-unsupported' }
		});
		expect(media.thumb).toBeUndefined();
		expect(media.contentHash).toHaveLength(32);
	});

	it("uses the container's date, size and location, also for a video it cannot play", async () => {
		const { importer, worker } = setup({
			capturePoster: () =>
				Promise.reject(new MediaImportError('video-timeout', 'The video did not load in time.'))
		});
		const result = importer.import(mp4());
		await until(() => worker()?.sent.length === 1);
		worker().reply({
			id: worker().sent[0]!.id,
			ok: true,
			result: {
				type: 'analyze-video',
				contentHash: new Uint8Array(32),
				metadata: {
					width: 1080,
					height: 1920,
					durationMs: 4_000,
					createdAt: Date.UTC(2023, 6, 14, 16, 30, 5),
					gps: { lat: 48.8584, lon: 2.2945 }
				}
			}
		});
		expect(await result).toMatchObject({
			width: 1080,
			height: 1920,
			durationMs: 4_000,
			takenAt: Date.UTC(2023, 6, 14, 16, 30, 5),
			takenAtSource: 'video-metadata',
			exif: { gps: { lat: 48.8584, lon: 2.2945 } },
			decodable: false,
			problem: { code: 'video-timeout' }
		});
	});

	it('cancelling a video stops both the poster and the hash', async () => {
		let posterSignal: AbortSignal | undefined;
		const { importer, worker } = setup({
			capturePoster: (_file, options) => {
				posterSignal = options.signal;
				return new Promise((_, reject) =>
					options.signal?.addEventListener('abort', () =>
						reject(new MediaImportError('aborted', 'cancelled'))
					)
				);
			}
		});
		const controller = new AbortController();
		const result = importer.import(mp4(), { signal: controller.signal });
		await until(() => worker()?.sent.length === 1);
		controller.abort();
		expect(await rejectionCode(result)).toBe('aborted');
		expect(posterSignal?.aborted).toBe(true);
		expect(worker().sent).toContainEqual({ type: 'cancel', id: worker().sent[0]!.id });
	});
});
