/** A confirmed, immediate subscriber as the store returns one, every time field at `at`: for tests that render or address letters. */
import type { Subscriber } from '../../src/domain/subscriber.js';

export function confirmedSubscriber(id: string, email: string, at: Date): Subscriber {
  return {
    id,
    email,
    name: null,
    state: 'confirmed',
    frequency: 'immediate',
    categories: [],
    createdAt: at,
    updatedAt: at,
    requestedAt: at,
    confirmedAt: at,
    unsubscribedAt: null,
    bouncedAt: null,
    bounceReason: null,
    consentAt: at,
    consentIp: null,
    consentSource: 'form',
    confirmationSentAt: at,
    lastDigestAt: null,
  };
}
