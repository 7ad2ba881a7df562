// unsubscribe: not served yet; the album stream sync work replaces this with the real handler.

import { notImplemented } from './not-implemented';

export const handleUnsubscribe = notImplemented('unsubscribe');
