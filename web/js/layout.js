// layout.js -- what every page shares: the header (navigation, live/polling
// indicator, user, language toggle), messages to the user, and the page's
// live feed.

import { currentUser, hasRole, logout } from './api.js';
import { applyLabels, getLang, onLangChange, setLang, t } from './i18n.js';
import { h, $ } from './format.js';
import { Feed } from './ws.js';

export const feed = new Feed();

export function initLayout(active) {
  const u = currentUser();
  const link = (href, key, name) =>
    h('a', { href, class: active === name ? 'active' : null, 'data-i18n': key }, t(key));
  const header = h(
    'header',
    { class: 'topbar' },
    h('a', { class: 'brand', href: 'index.html' }, h('span', { class: 'logo' }, 'CETS'),
      h('span', { 'data-i18n': 'brand' }, t('brand'))),
    h('nav', {},
      link('index.html', 'nav_market', 'market'),
      link('blocks.html', 'nav_blocks', 'blocks'),
      link('auctions.html', 'nav_auctions', 'auctions'),
      link('registry.html', 'nav_registry', 'registry'),
      link('compliance.html', 'nav_compliance', 'compliance'),
      link('account.html', 'nav_account', 'account'),
      u && (hasRole('admin', u) || hasRole('authority', u)) ? link('operator.html', 'nav_operator', 'operator') : null),
    h('div', { class: 'spacer' }),
    h('span', { id: 'feed-status', class: 'feed' }),
    u
      ? h('span', { class: 'user' },
        h('span', { class: 'muted', 'data-i18n': 'logged_in_as' }, t('logged_in_as')), ' ',
        h('strong', { id: 'user-name' }, u.username || u.name || ''),
        u.participant ? h('span', { class: 'muted' }, ` #${u.participant}`) : null,
        h('button', { id: 'logout', class: 'link', 'data-i18n': 'logout', onclick: doLogout }, t('logout')))
      : h('a', { id: 'login-link', class: 'button small', href: loginHref(), 'data-i18n': 'login' }, t('login')),
    h('button', {
      id: 'lang-toggle', class: 'lang', title: '中文 / English',
      onclick: () => setLang(getLang() === 'zh' ? 'en' : 'zh'),
    }, getLang() === 'zh' ? 'EN' : '中文'),
  );
  document.body.prepend(header);
  document.body.append(h('div', { id: 'toasts' }));
  feed.onStatus((up) => {
    const el = $('#feed-status');
    el.className = `feed ${up ? 'up' : 'down'}`;
    el.textContent = t(up ? 'live' : 'polling');
    el.dataset.i18n = up ? 'live' : 'polling';
  });
  applyLabels();
  // The toggle shows the language you would switch to.
  onLangChange((l) => {
    $('#lang-toggle').textContent = l === 'zh' ? 'EN' : '中文';
  });
}

function loginHref() {
  const here = location.pathname.split('/').pop() + location.search;
  return `login.html?next=${encodeURIComponent(here || 'index.html')}`;
}

async function doLogout() {
  feed.stop();
  await logout();
  location.href = 'index.html';
}

// A short message in the corner; errors stay longer.
export function toast(text, kind = 'info') {
  const box = $('#toasts');
  if (!box) return;
  const el = h('div', { class: `toast ${kind}` }, text);
  box.append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 4000);
}

// Show an outcome next to a form (and as a toast).
export function formMessage(el, text, kind) {
  if (el) {
    el.textContent = text;
    el.className = `msg ${kind}`;
  }
  toast(text, kind);
}

export function requireLogin() {
  if (!currentUser()) {
    location.href = loginHref();
    return false;
  }
  return true;
}
