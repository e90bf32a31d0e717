export * from './errors.js';
export * from './http.js';
export * from './input.js';
export * from './ticket.js';
export * from './signalling.js';
export * from './game-protocol.js';
export * from './latency-strip.js';
export * from './placement.js';
