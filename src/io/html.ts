// The one HTML escape the hand-written report pages (run, ablation, benchmark, demo) share.

/** Escapes text for HTML element content and double-quoted attribute values. */
export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
