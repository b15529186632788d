/** The store's public surface, for callers that prefer one import. */
export { openDatabase, type Database, type DialectName, type OpenDatabaseOptions } from './database.js';
export { migrateToLatest } from './migrate.js';
export { ArticleStore, InvalidCursorError } from './articles.js';
export { DeliveryStore } from './deliveries.js';
export { FeedDocumentStore, type FeedDocument } from './feed-documents.js';
export type { Schema } from './schema.js';
