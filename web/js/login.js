// login.js -- the login form: POST /api/v1/login, keep the token in
// sessionStorage, then go where the user was heading (or to the account;
// operators to the operator page).

import { isAdmin, login } from './api.js';
import { t } from './i18n.js';
import { $ } from './format.js';
import { initLayout } from './layout.js';

initLayout('login');
const form = $('#login-form');
form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const button = $('#login-submit');
  const msg = $('#login-msg');
  button.disabled = true;
  try {
    const r = await login(form.elements.username.value.trim(), form.elements.password.value);
    const next = new URLSearchParams(location.search).get('next');
    // Only pages of this site: never an absolute address from the query.
    const safe = next && /^[\w.-]+\.html(\?[\w=&%.-]*)?$/.test(next) ? next : null;
    location.href = safe && !safe.startsWith('login.html') ? safe
      : isAdmin(r.user) ? 'operator.html' : 'account.html';
  } catch (e) {
    msg.textContent = `${t('error')}: ${e.display || e.message}`;
    msg.className = 'msg error';
    button.disabled = false;
  }
});
