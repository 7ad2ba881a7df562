// The wire protocol shared by the app and the relay: limits, ids, encodings, formats, messages.

export * from './limits';
export * from './bytes';
export * from './ids';
export * from './canonical';
export * from './fields';
export * from './album-stream';
export * from './membership-rules';
export * from './messages';
export * from './api';
export * from './accounts';
export * from './notifications';
export * from './invites';
export { describeIssues, clip } from './issues';
