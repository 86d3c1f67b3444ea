// ws.js -- the live feed: one WebSocket to /ws per page.
//
// The page says what it wants (public channels per instrument, private
// channels after auth); the feed (re)sends those subscriptions on every
// connect, so a restart of cetsd or a dropped connection heals by itself
// (reconnect with backoff, 1 s doubling up to 15 s). While it is down the
// pages keep their periodic REST refresh, so nothing depends on it alone.

import { token } from './api.js';

export class Feed {
  constructor() {
    this.subs = new Map(); // "channel|code" -> {channel, code}
    this.handlers = new Map(); // channel -> [fn]
    this.statusFns = [];
    this.wantAuth = false;
    this.backoff = 1000;
    this.connected = false;
    this.sock = null;
    this.closed = false;
  }

  on(channel, fn) {
    if (!this.handlers.has(channel)) this.handlers.set(channel, []);
    this.handlers.get(channel).push(fn);
    return this;
  }

  onStatus(fn) {
    this.statusFns.push(fn);
    fn(this.connected);
  }

  subscribe(channel, code) {
    const key = `${channel}|${code || ''}`;
    if (this.subs.has(key)) return;
    const s = code ? { channel, code } : { channel };
    this.subs.set(key, s);
    if (this.connected) this.send({ op: 'subscribe', ...s });
  }

  unsubscribe(channel, code) {
    const key = `${channel}|${code || ''}`;
    if (!this.subs.delete(key)) return;
    if (this.connected) this.send({ op: 'unsubscribe', channel, ...(code ? { code } : {}) });
  }

  // Private channels (orders, fills, balances) need the session token first.
  authenticate() {
    this.wantAuth = true;
    if (this.connected && token()) this.send({ op: 'auth', token: token() });
  }

  start() {
    this.closed = false;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let sock;
    try {
      sock = new WebSocket(`${proto}//${location.host}/ws`);
    } catch {
      this.retry();
      return;
    }
    this.sock = sock;
    sock.onopen = () => {
      this.backoff = 1000;
      this.setStatus(true);
      if (this.wantAuth && token()) this.send({ op: 'auth', token: token() });
      for (const s of this.subs.values()) this.send({ op: 'subscribe', ...s });
    };
    sock.onmessage = (ev) => this.dispatch(ev.data);
    sock.onclose = () => {
      this.setStatus(false);
      if (this.sock === sock) this.sock = null;
      if (!this.closed) this.retry();
    };
    sock.onerror = () => {
      /* onclose follows and schedules the retry */
    };
  }

  stop() {
    this.closed = true;
    if (this.sock) this.sock.close();
  }

  retry() {
    setTimeout(() => {
      if (!this.closed) this.start();
    }, this.backoff);
    this.backoff = Math.min(this.backoff * 2, 15000);
  }

  send(obj) {
    if (this.sock && this.sock.readyState === WebSocket.OPEN) this.sock.send(JSON.stringify(obj));
  }

  setStatus(up) {
    this.connected = up;
    for (const fn of this.statusFns) fn(up);
  }

  dispatch(data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (msg.error) {
      // A bad subscription is the page's mistake, not the user's: log it quietly.
      console.warn('ws:', msg.error, msg.message || '');
      return;
    }
    // Answers to the page's own requests ({"op":"subscribed","channel":...})
    // are no data of their channel: a trade handler must not see an ack.
    if (msg.op) {
      for (const fn of this.handlers.get(`op:${msg.op}`) || []) fn(msg);
      return;
    }
    for (const fn of this.handlers.get(msg.channel) || []) fn(msg);
    for (const fn of this.handlers.get('*') || []) fn(msg);
  }
}

// Run fn at most once per `ms`, trailing: bursts of events become one refresh.
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      fn(...args);
    }, ms);
  };
}

// The REST fallback: call fn every `fast` ms while the feed is down and every
// `slow` ms while it is up (a safety net against a missed message).
export function poll(feed, fn, fast = 5000, slow = 30000) {
  let last = Date.now();
  setInterval(() => {
    const every = feed.connected ? slow : fast;
    if (Date.now() - last >= every - 50) {
      last = Date.now();
      fn();
    }
  }, fast);
}
