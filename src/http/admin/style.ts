/**
 * The admin pages' one stylesheet, served from /admin/assets/admin.css so the pages' CSP can
 * allow styles from 'self' only. Focus is always visible; state is never told by colour alone
 * (every badge carries its word).
 */
export const ADMIN_CSS = `
:root{--ink:#1a1a1a;--muted:#555;--line:#d0d0d0;--bg:#f7f7f8;--card:#fff;--accent:#0b57d0;--focus:#f9a825;--danger:#b00020}
*{box-sizing:border-box}
body{margin:0;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
a{color:var(--accent)}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,iframe:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
/* The skip link's target: focus lands there to move on from, not to act on. */
main:focus{outline:none}
.skip{position:absolute;left:-9999px;top:0;background:#fff;padding:.5rem 1rem;z-index:10}
.skip:focus{left:.5rem;top:.5rem}
.visually-hidden{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
header.top{background:#1f2933;color:#fff}
header.top .bar{max-width:72rem;margin:0 auto;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:1rem;align-items:center}
header.top .brand{font-weight:700;margin-right:auto}
header.top nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center}
header.top a{color:#fff;text-decoration:none;padding:.25rem .1rem;border-bottom:2px solid transparent}
header.top a[aria-current=page]{border-bottom-color:var(--focus)}
header.top a:hover{text-decoration:underline}
header.top form{margin:0}
header.top button{background:transparent;color:#fff;border:1px solid #9aa5b1;padding:.2rem .7rem;font-size:.9rem}
main{max-width:72rem;margin:0 auto;padding:1rem 1rem 3rem}
h1{font-size:1.6rem;line-height:1.25;margin:.75rem 0 1rem;overflow-wrap:anywhere}
h2{font-size:1.2rem;margin:2rem 0 .6rem}
table{width:100%;border-collapse:collapse;background:var(--card);border:1px solid var(--line)}
caption{text-align:left;font-weight:600;padding:.4rem 0}
th,td{text-align:left;vertical-align:top;padding:.5rem .6rem;border-bottom:1px solid var(--line)}
thead th{background:#eef0f3;font-size:.9rem}
tbody th{font-weight:600}
td.error{max-width:28rem;overflow-wrap:anywhere;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em;overflow-wrap:anywhere}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:1rem;font-size:.85rem;font-weight:600;border:1px solid transparent;white-space:nowrap}
.badge-sent,.badge-duplicate,.badge-published,.badge-confirmed{background:#e3f4e8;color:#1b5e20;border-color:#8bc79b}
.badge-failed,.badge-bounced{background:#fdecee;color:#8e0019;border-color:#e79aa6}
.badge-manual_action{background:#fff1e0;color:#7a3e00;border-color:#f0b36b}
.badge-queued,.badge-claimed,.badge-retry,.badge-scheduled,.badge-pending{background:#e8f0fe;color:#0b3d91;border-color:#9bb8ee}
.badge-skipped,.badge-cancelled,.badge-unsubscribed{background:#eceff1;color:#37474f;border-color:#b0bec5}
.badge-retracted{background:#f3e8fd;color:#4a148c;border-color:#c7a4ec}
.none{color:var(--muted)}
.meta{color:var(--muted);margin:.25rem 0}
.counts{display:block;font-size:.85rem;color:var(--muted)}
.earlier{display:block;font-family:system-ui,sans-serif;color:var(--muted)}
.notice{border:2px solid #2e7d32;background:#fff;border-radius:4px;padding:.5rem 1rem;margin:1rem 0}
.alert{border:2px solid var(--danger);background:#fff;border-radius:4px;padding:.5rem 1rem;margin:1rem 0}
form.inline{display:inline;margin:0}
form.filter,form.search{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin:0 0 1rem}
form.filter label,form.search label,form.stack label{display:block;font-weight:600;margin-bottom:.25rem}
form.stack{max-width:26rem}
form.stack p{margin:0 0 1rem}
input[type=password],input[type=search],input[type=text],select{font:inherit;padding:.45rem .6rem;border:1px solid #767676;border-radius:4px;background:#fff;min-width:14rem}
button,.button{display:inline-block;font:inherit;font-weight:600;padding:.45rem 1rem;border:0;border-radius:4px;background:var(--accent);color:#fff;cursor:pointer;text-decoration:none}
button.secondary{background:#fff;color:var(--accent);border:1px solid var(--accent)}
button.danger,.button.danger{background:var(--danger)}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;align-items:center;margin:1rem 0}
dl.record{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1.25rem;background:var(--card);border:1px solid var(--line);padding:.75rem 1rem;margin:0}
dl.record dt{font-weight:600}
dl.record dd{margin:0;overflow-wrap:anywhere}
nav.pages{display:flex;gap:1.5rem;margin:1rem 0}
iframe.email{width:100%;height:42rem;border:1px solid var(--line);background:#fff}
.login{max-width:26rem;margin:3rem auto;background:var(--card);border:1px solid var(--line);border-radius:6px;padding:1rem 1.5rem 1.5rem}
`.trim();
