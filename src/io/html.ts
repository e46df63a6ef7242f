// What the report pages (run, ablation, benchmark, demo) share: the HTML escape and the page's look.

/** Escapes text for HTML element content and double-quoted attribute values. */
export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** The report pages' look: a wide page, a responsive grid of charts, cards for headline numbers. */
export const REPORT_CSS = `body{font-family:system-ui,sans-serif;margin:24px auto;padding:0 16px;color:#1f2328;max-width:1800px}
h1{font-size:1.5rem;margin:0 0 4px}h2{font-size:1.15rem;margin:28px 0 8px;border-bottom:1px solid #d8dee4;padding-bottom:4px}
.meta{color:#57606a;margin:0 0 12px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:12px}
.grid svg{width:100%;height:auto;border:1px solid #d8dee4;border-radius:6px;display:block}
.side{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}.side>svg{width:520px;max-width:100%;height:auto;border:1px solid #d8dee4;border-radius:6px}
.nums td{white-space:nowrap}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0}
.card{border:1px solid #d8dee4;border-radius:6px;padding:8px 14px;min-width:120px}
.card b{display:block;font-size:1.3rem}.card span{color:#57606a;font-size:.85rem}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #d8dee4;padding:4px 10px;text-align:right}
th:first-child,td:first-child{text-align:left}
pre{background:#f6f8fa;padding:12px;overflow:auto;max-height:360px;white-space:pre-wrap}
details{margin:12px 0}summary{cursor:pointer;font-weight:600}h3{font-size:1rem;margin:20px 0 6px}
.constants{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:4px 12px}
.constants div{display:flex;justify-content:space-between;border-bottom:1px solid #eaeef2;padding:3px 2px}
.constants span{color:#57606a}`;
