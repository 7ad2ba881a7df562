// ephemeral: not served yet; the album stream sync work replaces this with the real handler.

import { notImplemented } from './not-implemented';

export const handleEphemeral = notImplemented('ephemeral');
