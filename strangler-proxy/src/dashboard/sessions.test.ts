import { describe, expect, it } from 'vitest';
import { csrfMatches, DASHBOARD_COOKIE, SessionStore } from './sessions.js';

describe('a dashboard session', () => {
  it('is found from the cookie it was created with, and from no other', () => {
    const store = new SessionStore(60_000);
    const { id, session } = store.create('ana');
    expect(store.fromCookie(`other=1; ${DASHBOARD_COOKIE}=${id}`)).toBe(session);
    expect(store.fromCookie(`${DASHBOARD_COOKIE}=${id.replace(/.$/, id.endsWith('A') ? 'B' : 'A')}`)).toBeUndefined();
    expect(store.fromCookie(undefined)).toBeUndefined();
  });

  it('expires after its time to live', () => {
    let now = 0;
    const store = new SessionStore(60_000, () => now);
    const { id } = store.create('ana');
    now = 60_000;
    expect(store.fromCookie(`${DASHBOARD_COOKIE}=${id}`)).toBeUndefined();
  });

  it('ends at sign-out', () => {
    const store = new SessionStore(60_000);
    const { id } = store.create('ana');
    store.destroy(`${DASHBOARD_COOKIE}=${id}`);
    expect(store.fromCookie(`${DASHBOARD_COOKIE}=${id}`)).toBeUndefined();
  });

  it('sets an HttpOnly, SameSite=Strict cookie', () => {
    const store = new SessionStore(3_600_000);
    expect(store.cookie('x', false)).toBe(`${DASHBOARD_COOKIE}=x; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600`);
    expect(store.cookie('x', true)).toMatch(/; Secure$/);
  });

  it('accepts only its own CSRF token', () => {
    const { session } = new SessionStore(60_000).create('ana');
    expect(csrfMatches(session, session.csrfToken)).toBe(true);
    expect(csrfMatches(session, 'x'.repeat(43))).toBe(false);
    expect(csrfMatches(session, undefined)).toBe(false);
  });
});
