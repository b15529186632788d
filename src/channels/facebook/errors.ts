/**
 * What Facebook's errors mean for this channel beyond the shared Graph table: the two answers a
 * deletion can get that are not failures of the call.
 */
import { GraphApiError } from '../graph/errors.js';
import { isPermissionCode } from '../graph/classify.js';

/**
 * Graph's answer to a DELETE or GET of an object it cannot find: code 100 with subcode 33
 * ("does not exist, cannot be loaded due to missing permissions, or does not support this
 * operation"), or a bare 404.
 */
export function isObjectMissing(error: unknown): boolean {
  if (!(error instanceof GraphApiError)) return false;
  return (error.code === 100 && error.subcode === 33) || (error.code === undefined && error.status === 404);
}

/** Graph refused a deletion for lack of permission (code 10, 200–299): a person must delete the post. */
export function isDeletionRefused(error: unknown): boolean {
  return error instanceof GraphApiError && isPermissionCode(error.code);
}
