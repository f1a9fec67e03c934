export * from '../core/layout.js';
