/** True in Node and other DOM-less runtimes (SSR), where elements must not touch browser APIs. */
export const isServer = typeof window === 'undefined' || typeof document === 'undefined';
