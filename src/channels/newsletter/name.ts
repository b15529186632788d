/** The newsletter's channel name: its CHANNELS entry, queue, ledger rows and key in an article's `channels`. */
export const NEWSLETTER_CHANNEL = 'newsletter';
