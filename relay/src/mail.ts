// Outgoing mail: SMTP through nodemailer when SMTP_URL is set, otherwise .eml files in DATA_DIR/outbox/.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from './log';

export interface MailMessage {
	to: string;
	subject: string;
	text: string;
}

export interface Mailer {
	send(message: MailMessage): Promise<void>;
}

export const OUTBOX_DIR = 'outbox';

/** SMTP when configured; else the outbox folder, which a self-hoster (or a test) can read. */
export function createMailer(
	options: { smtpUrl: string | null; from: string; dataDir: string },
	logger: Logger
): Mailer {
	return options.smtpUrl
		? new SmtpMailer(options.smtpUrl, options.from, logger)
		: new OutboxMailer(path.join(options.dataDir, OUTBOX_DIR), options.from, logger);
}

class SmtpMailer implements Mailer {
	private readonly transport: Transporter;

	constructor(
		url: string,
		private readonly from: string,
		private readonly logger: Logger
	) {
		this.transport = nodemailer.createTransport(url);
	}

	async send(message: MailMessage): Promise<void> {
		await this.transport.sendMail({ from: this.from, ...message });
		this.logger.info({ to: message.to, subject: message.subject }, 'mail sent by SMTP');
	}
}

/** Writes each message as `<ISO time>-<random>.eml`, via a temporary file so readers never see half. */
export class OutboxMailer implements Mailer {
	private readonly compose = nodemailer.createTransport({ streamTransport: true, buffer: true });

	constructor(
		readonly folder: string,
		private readonly from: string,
		private readonly logger: Logger
	) {}

	async send(message: MailMessage): Promise<void> {
		const info = await this.compose.sendMail({ from: this.from, ...message });
		if (!Buffer.isBuffer(info.message)) throw new Error('the mail composer did not return bytes');
		await fs.mkdir(this.folder, { recursive: true });
		// Colons are not allowed in file names on Windows.
		const time = new Date().toISOString().replace(/:/g, '-');
		const name = `${time}-${randomBytes(6).toString('hex')}.eml`;
		const file = path.join(this.folder, name);
		const temp = path.join(this.folder, `.${name}.tmp`);
		await fs.writeFile(temp, info.message, { mode: 0o600 });
		await fs.rename(temp, file);
		this.logger.info(
			{ file, to: message.to, subject: message.subject },
			'mail written to the outbox (set SMTP_URL to send it)'
		);
	}
}

/** The mail that carries an email code. */
export function codeMail(
	to: string,
	code: string,
	purpose: string,
	ttlMinutes: number
): MailMessage {
	return {
		to,
		subject: `Your Tessera code: ${code}`,
		text:
			`Your Tessera code is ${code}\n\n` +
			`Enter it in Tessera to ${purpose}. It expires in ${ttlMinutes} minutes.\n\n` +
			`If you did not ask for it, you can ignore this message: nothing happens without the code.\n`
	};
}
