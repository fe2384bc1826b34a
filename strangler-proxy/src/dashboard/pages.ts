import type { RenderedAdr } from './adr-records.js';

/** Text for HTML content or a quoted attribute. */
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const escape = escapeHtml;

function layout(title: string, body: string, head = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<link rel="stylesheet" href="/ui/assets/dashboard.css">
${head}</head>
<body>
${body}
</body>
</html>
`;
}

/** The sign-in form: the admin token goes in a password field, posted in the body, never in a URL. */
export function signInPage(options: { error?: string; expired?: boolean }): string {
  const notice = options.error
    ? `<p class="notice error" role="alert">${escape(options.error)}</p>`
    : options.expired
      ? '<p class="notice" role="status">Your session has ended. Sign in again.</p>'
      : '';
  return layout(
    'Sign in · strangler migration',
    `<main class="sign-in">
<h1>Strangler migration</h1>
<form method="post" action="/sign-in" autocomplete="off">
${notice}
<label for="token">Admin token</label>
<input id="token" name="token" type="password" required autocomplete="current-password" spellcheck="false">
<p class="hint">After <code>npm start</code> it is <code>adminToken</code> in <code>.stack/secrets.json</code>.</p>
<button type="submit">Sign in</button>
</form>
</main>`,
  );
}

/** The page's frame; the script fills it from /ui/state and keeps it up to date. */
export function dashboardPage(options: { actor: string; csrfToken: string }): string {
  return layout(
    'Strangler migration',
    `<header class="top">
<h1>Strangler migration</h1>
<p id="freshness" class="freshness" role="status" aria-live="polite">Loading…</p>
<form method="post" action="/sign-out" class="sign-out">
<input type="hidden" name="csrf" value="${escape(options.csrfToken)}">
<span class="who">Signed in as <strong>${escape(options.actor)}</strong></span>
<button type="submit">Sign out</button>
</form>
</header>
<main id="main">
<section id="progress" class="progress" aria-labelledby="progress-title"><h2 id="progress-title">Progress</h2><p>Loading…</p></section>
<div id="domains" class="domains"></div>
<section id="unclaimed" class="unclaimed" aria-labelledby="unclaimed-title" hidden></section>
</main>
<dialog id="confirm" aria-labelledby="confirm-title">
<form method="dialog">
<h2 id="confirm-title">Confirm</h2>
<p id="confirm-text"></p>
<div class="actions"><button value="cancel" type="submit">Cancel</button><button id="confirm-ok" value="ok" type="submit" class="primary">Confirm</button></div>
</form>
</dialog>`,
    `<meta name="csrf-token" content="${escape(options.csrfToken)}">
<script src="/ui/assets/dashboard.js" defer></script>
`,
  );
}

/** One decision record on its own page (links between records lead here). */
export function adrPage(adr: RenderedAdr): string {
  return layout(
    `ADR ${adr.number}: ${adr.title}`,
    `<main class="adr-page">
<p><a href="/">← Back to the migration</a></p>
<h1>ADR ${adr.number}: ${escape(adr.title)}</h1>
<p><span class="badge status-${escape(adr.status)}">${escape(adr.status)}</span>${adr.date ? ` · ${escape(adr.date)}` : ''}</p>
<article class="adr">${adr.html}</article>
</main>`,
  );
}
