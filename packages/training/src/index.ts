export * from './run-store/index.js';
