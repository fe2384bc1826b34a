// The migration page: reads /ui/state every 2 seconds and renders it; flips and rollbacks after a
// confirmation. Plain DOM (no framework, nothing from a CDN); text goes in with textContent only.
const POLL_MS = 2000;
const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
const domainsEl = document.getElementById('domains');
const freshnessEl = document.getElementById('freshness');
const mainEl = document.getElementById('main');
const dialog = document.getElementById('confirm');
const cards = new Map();
const adrCache = new Map();
let last;
let lastAudit = [];
let failingSince;
let timer;

const CONSEQUENCE = {
  legacy: (s) => `the monolith serves every request${s ? `; ${s} gets none` : ''}`,
  shadow: (s) => `the monolith keeps serving every request; safe requests are also copied to ${s} and the answers compared`,
  canary: (s, p) => `${s} serves the reads of ${p}% of users (each user stays on one side); writes stay with the monolith`,
  new: (s) => `${s} serves every read; writes stay with the monolith`,
  owned: (s) => `${s} serves every request, writes included`,
};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) if (child !== undefined && child !== null) node.append(child);
  return node;
}

const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '-');
const ms = (n) => (n === null || n === undefined ? '–' : `${n} ms`);
const pct = (n) => (n === null || n === undefined ? '–' : `${Math.round(n * 1000) / 10}%`);
const position = (stage, percentage) => `${stage} ${percentage}%`;

async function poll() {
  try {
    const res = await fetch('/ui/state', { headers: { accept: 'application/json' }, cache: 'no-store' });
    if (res.status === 401) {
      location.assign('/?expired=1');
      return;
    }
    if (!res.ok) throw new Error(`the proxy answered ${res.status}`);
    last = await res.json();
    failingSince = undefined;
    render(last);
  } catch (err) {
    failingSince ??= new Date().toISOString();
    setFreshness(`Stale: the proxy cannot be reached since ${time(failingSince)} (${err.message}). Showing the data of ${time(last?.at)}.`, true);
  } finally {
    clearTimeout(timer);
    timer = setTimeout(poll, POLL_MS);
  }
}

function setFreshness(text, stale) {
  freshnessEl.textContent = text;
  freshnessEl.classList.toggle('stale', stale);
  mainEl.classList.toggle('stale', stale);
}

function render(state) {
  const problems = [];
  if (!state.unleash.reachable) problems.push(`Unleash unreachable (${state.unleash.detail}): stages as last fetched`);
  if (state.audit.error) problems.push(`audit log unavailable (${state.audit.error}): timeline as last read`);
  else lastAudit = state.audit.entries;
  setFreshness(problems.length ? `Stale: ${problems.join('; ')}. Updated ${time(state.at)}.` : `Live · updated ${time(state.at)}`, problems.length > 0);
  renderProgress(state);
  for (const domain of state.domains) renderDomain(domain, state);
  renderUnclaimed(state.unclaimed);
}

function renderProgress(state) {
  const { routes, requests } = state.progress;
  const section = document.getElementById('progress');
  section.replaceChildren(
    el('h2', { id: 'progress-title', text: 'Progress' }),
    el('p', {}, el('strong', { text: `${routes.percent}%` }), ` of routes served by new services (${routes.new} of ${routes.total}) · `, el('strong', { text: `${requests.percent}%` }), ` of the last hour's requests (${requests.new} of ${requests.total})`),
    el('div', { class: 'bar', role: 'img', 'aria-label': `${routes.percent}% of routes migrated` }, el('span', { style: `width:${routes.percent}%` })),
  );
}

function renderUnclaimed(unclaimed) {
  const section = document.getElementById('unclaimed');
  section.hidden = unclaimed.length === 0;
  if (!unclaimed.length) return;
  section.replaceChildren(
    el('h2', { id: 'unclaimed-title', text: 'Requests to routes no manifest claims (served by the monolith)' }),
    table(['Method and path', 'Last minute', 'Last hour'], unclaimed.map((u) => [`${u.method} ${u.path}`, String(u.lastMinute), String(u.lastHour)])),
  );
}

function table(head, rows, caption) {
  return el(
    'div',
    { class: 'table-wrap' },
    el('table', {}, caption ? el('caption', { text: caption }) : null, el('thead', {}, el('tr', {}, head.map((h) => el('th', { scope: 'col', text: h })))), el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c) => el('td', {}, c)))))),
  );
}

function card(domain) {
  let c = cards.get(domain.domain);
  if (c) return c;
  const id = `domain-${domain.domain}`;
  c = {
    root: el('section', { class: 'domain', id, 'aria-labelledby': `${id}-title` }),
    summary: el('div', { class: 'summary' }),
    traffic: el('div', { class: 'traffic' }),
    routes: el('div', { class: 'routes' }),
    adr: el('div', { class: 'adr-cell' }),
    actions: el('div', { class: 'actions-cell' }),
    message: el('p', { class: 'message', role: 'alert', hidden: true }),
    audit: el('div', { class: 'audit' }),
  };
  c.root.append(
    el('h2', { id: `${id}-title` }, domain.domain, domain.description ? el('span', { class: 'description', text: ` · ${domain.description}` }) : null),
    c.summary,
    c.traffic,
    c.routes,
    c.adr,
    c.actions,
    c.message,
    c.audit,
  );
  buildActions(domain, c);
  domainsEl.append(c.root);
  cards.set(domain.domain, c);
  return c;
}

const KNOWN = new Set(['domain', 'service', 'adr', 'flag', 'stage', 'percentage', 'routes', 'split', 'lastHour', 'targets', 'stages', 'description', 'file']);

function renderDomain(domain, state) {
  const c = card(domain);
  c.summary.replaceChildren(
    el('p', { class: 'position' }, el('span', { class: `badge stage-${domain.stage}`, 'data-testid': 'stage', text: position(domain.stage, domain.percentage) }), domain.service ? ` → ${domain.service}` : ' · no service yet (stays at legacy)'),
    el('p', { class: 'muted', text: `Stages ${domain.file ?? 'the manifest'} allows: ${(domain.stages ?? []).join(' → ')}` }),
  );
  const s = domain.split;
  const sides = [];
  if (domain.service) for (const t of domain.targets) sides.push([`new: ${t.url}`, `${t.healthy ? 'healthy' : 'UNHEALTHY'}, breaker ${t.breaker}`, `${t.ratePerSecond}/s`, pct(t.errorRate), ms(t.p50Ms), ms(t.p99Ms)]);
  for (const t of state.monolith) sides.push([`legacy: ${t.url} (all domains)`, `${t.healthy ? 'healthy' : 'UNHEALTHY'}, breaker ${t.breaker}`, `${t.ratePerSecond}/s`, pct(t.errorRate), ms(t.p50Ms), ms(t.p99Ms)]);
  const extra = Object.entries(domain).filter(([key, value]) => !KNOWN.has(key) && value !== null && value !== undefined);
  c.traffic.replaceChildren(
    el('h3', { text: 'Traffic' }),
    el(
      'p',
      {},
      s.requests ? `Last minute: new ${s.newPercent}% / legacy ${s.legacyPercent}% of ${s.requests} requests` : 'No requests in the last minute',
      s.shadow ? ` · ${s.shadow} shadow copies` : '',
      ` · last hour: ${domain.lastHour.requests} requests, ${domain.lastHour.new} by the new service`,
    ),
    el('div', { class: 'split', role: 'img', 'aria-label': `new ${s.newPercent}%, legacy ${s.legacyPercent}%` }, el('span', { class: 'new', style: `width:${s.newPercent}%` }), el('span', { class: 'legacy', style: `width:${s.legacyPercent}%` })),
    table(['Side', 'State', 'Rate', 'Errors', 'p50', 'p99'], sides, 'Each side over the last minute'),
    // Signals other parts of the proxy add to a domain's status (data sync lag, comparison, guard) show as they appear.
    ...(extra.length ? [el('dl', { class: 'signals', 'aria-label': 'Other signals' }, extra.flatMap(([key, value]) => [el('dt', { text: key }), el('dd', { text: typeof value === 'object' ? describe(value) : String(value) })]))] : []),
  );
  c.routes.replaceChildren(
    el('details', {}, el('summary', { text: `Routes (${domain.routes.length})` }), domain.routes.length ? table(['Route', 'Served by the new service'], domain.routes.map((r) => [`${r.method} ${r.path}${r.override ? ` (override ${r.override})` : ''}`, `${r.newPercent}%`])) : el('p', { text: 'None: called in-process by other domains.' })),
  );
  renderAdr(domain, c);
  renderAudit(domain, c, state);
  updateActions(domain, c, state);
}

function describe(value) {
  return Object.entries(value)
    .map(([k, v]) => `${k}: ${v !== null && typeof v === 'object' ? JSON.stringify(v) : v}`)
    .join(', ');
}

async function renderAdr(domain, c) {
  if (c.adr.dataset.adr === String(domain.adr)) return;
  c.adr.dataset.adr = String(domain.adr);
  c.adr.replaceChildren(el('h3', { text: `Decision: ADR ${domain.adr}` }));
  let adr = adrCache.get(domain.adr);
  if (!adr) {
    const res = await fetch(`/ui/adrs/${domain.adr}`, { headers: { accept: 'application/json' } });
    if (!res.ok) {
      c.adr.append(el('p', { class: 'muted', text: `ADR ${domain.adr} cannot be shown (${res.status}).` }));
      return;
    }
    adr = await res.json();
    adrCache.set(domain.adr, adr);
  }
  const body = el('article', { class: 'adr' });
  // Rendered by the server from the repository's Markdown, with raw HTML escaped.
  body.innerHTML = adr.html;
  c.adr.append(el('details', {}, el('summary', {}, el('span', { class: `badge status-${adr.status}`, text: adr.status }), ` ADR ${adr.number}: ${adr.title}`), body));
}

function renderAudit(domain, c, state) {
  const rows = lastAudit.filter((e) => e.domain === domain.domain);
  const stale = Boolean(state.audit.error);
  c.audit.replaceChildren(
    el('h3', { text: 'Timeline' }, stale ? el('span', { class: 'badge stale-badge', text: 'stale' }) : null),
    rows.length
      ? el(
          'ol',
          { class: 'timeline', 'data-testid': 'timeline' },
          rows.slice(0, 20).map((e) =>
            el('li', { 'data-audit-id': e.id }, el('time', { datetime: e.at, text: new Date(e.at).toLocaleString() }), ` #${e.id} ${e.actor}: ${e.fromStage ? position(e.fromStage, e.fromPercentage) : '–'} → ${position(e.toStage, e.toPercentage)}`, e.adr ? ` (ADR ${e.adr})` : '', e.mode !== 'manual' ? ` [${e.mode}]` : '', e.reason ? ` “${e.reason}”` : ''),
          ),
        )
      : el('p', { class: 'muted', text: 'No flips recorded yet.' }),
  );
}

function buildActions(domain, c) {
  if (!domain.service || (domain.stages ?? []).length < 2) {
    c.actions.append(el('p', { class: 'muted', text: 'No flips: this domain has no service yet.' }));
    return;
  }
  const id = `flip-${domain.domain}`;
  const stage = el('select', { id: `${id}-stage`, name: 'stage' }, domain.stages.map((s) => el('option', { value: s, text: s })));
  const percent = el('input', { id: `${id}-percent`, name: 'percentage', type: 'number', min: 0, max: 100, step: 1, value: 0, inputmode: 'numeric' });
  const percentField = el('div', { class: 'field', hidden: true }, el('label', { for: `${id}-percent`, text: 'Users (%)' }), percent);
  const adr = el('input', { id: `${id}-adr`, name: 'adr', type: 'number', min: 1, step: 1, value: domain.adr, inputmode: 'numeric' });
  const reason = el('input', { id: `${id}-reason`, name: 'reason', type: 'text', maxlength: 1000, placeholder: 'why, for the audit log' });
  stage.addEventListener('change', () => (percentField.hidden = stage.value !== 'canary'));
  const form = el(
    'form',
    { class: 'flip', 'aria-label': `Flip ${domain.domain}` },
    el('h3', { text: 'Flip' }),
    el('div', { class: 'fields' }, el('div', { class: 'field' }, el('label', { for: `${id}-stage`, text: 'Stage' }), stage), percentField, el('div', { class: 'field' }, el('label', { for: `${id}-adr`, text: 'ADR' }), adr), el('div', { class: 'field wide' }, el('label', { for: `${id}-reason`, text: 'Reason' }), reason)),
    el('div', { class: 'buttons' }, el('button', { type: 'submit', class: 'primary', text: 'Flip…' }), el('button', { type: 'button', class: 'rollback', text: 'Roll back…', onclick: () => rollback(domain.domain) })),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const to = { stage: stage.value, percentage: stage.value === 'canary' ? Number(percent.value) : undefined, adr: adr.value ? Number(adr.value) : undefined, reason: reason.value.trim() || undefined };
    flip(domain.domain, to, () => (reason.value = ''));
  });
  c.form = { form, stage };
  c.actions.append(form);
}

function updateActions(domain, c, state) {
  if (!c.form) return;
  for (const button of c.form.form.querySelectorAll('button')) button.disabled = !state.flips.enabled;
  c.form.form.title = state.flips.enabled ? '' : state.flips.detail;
}

function current(domainName) {
  return last.domains.find((d) => d.domain === domainName);
}

function confirmChange(text) {
  document.getElementById('confirm-text').textContent = text;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }));
}

async function flip(domainName, to, done) {
  const d = current(domainName);
  const toPosition = position(to.stage, to.stage === 'canary' ? to.percentage : to.stage === 'new' || to.stage === 'owned' ? 100 : 0);
  const ok = await confirmChange(`Flip ${domainName} from ${position(d.stage, d.percentage)} to ${toPosition}: ${CONSEQUENCE[to.stage](d.service, to.percentage)}.${to.adr ? ` Cites ADR ${to.adr}.` : ''}`);
  if (!ok) return;
  if (await send(domainName, 'flip', to)) done();
}

async function rollback(domainName) {
  const d = current(domainName);
  const lastChange = lastAudit.find((e) => e.domain === domainName);
  const target = lastChange?.fromStage ? `back to ${position(lastChange.fromStage, lastChange.fromPercentage)}` : 'back to the stage before its last change';
  const ok = await confirmChange(`Roll ${domainName} back from ${position(d.stage, d.percentage)} ${target}${lastChange ? ` (undoes #${lastChange.id})` : ''}.`);
  if (!ok) return;
  await send(domainName, 'rollback', {});
}

async function send(domainName, action, body) {
  const c = cards.get(domainName);
  c.message.hidden = true;
  let res;
  try {
    res = await fetch(`/ui/domains/${encodeURIComponent(domainName)}/${action}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken }, body: JSON.stringify(body) });
  } catch (err) {
    showMessage(c, `The proxy cannot be reached: ${err.message}`, true);
    return false;
  }
  if (res.status === 401) {
    location.assign('/?expired=1');
    return false;
  }
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) {
    showMessage(c, `Refused: ${answer.error?.message ?? `the proxy answered ${res.status}`}`, true);
    return false;
  }
  poll();
  showMessage(c, `${action === 'flip' ? 'Flipped' : 'Rolled back'}: ${position(answer.from.stage, answer.from.percentage)} → ${position(answer.to.stage, answer.to.percentage)} (audit #${answer.audit.id})`, false);
  return true;
}

function showMessage(c, text, error) {
  c.message.textContent = text;
  c.message.classList.toggle('error', error);
  c.message.hidden = false;
}

poll();
