import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** One signed-in member of the migration team. */
export interface Session {
  actor: string;
  /** Sent back by the page with every state-changing request (synchronizer token). */
  csrfToken: string;
  expiresAt: number;
}

export const DASHBOARD_COOKIE = 'strangler_admin';
const COOKIE_PATTERN = new RegExp(`(?:^|;\\s*)${DASHBOARD_COOKIE}=([A-Za-z0-9_-]{43})(?:;|$)`);
const digest = (value: string) => createHash('sha256').update(value).digest('base64url');

/**
 * Dashboard sessions, in this proxy's memory: the cookie holds a random id (256 bits), the store
 * only its digest. A restart signs everyone out, which is acceptable for a handful of operators.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Creates a session for `actor`; returns the id to put in the cookie. */
  create(actor: string): { id: string; session: Session } {
    this.prune();
    const id = randomBytes(32).toString('base64url');
    const session = { actor, csrfToken: randomBytes(32).toString('base64url'), expiresAt: this.now() + this.ttlMs };
    this.sessions.set(digest(id), session);
    return { id, session };
  }

  /** The live session named by a request's Cookie header, if any. */
  fromCookie(cookieHeader: string | undefined): Session | undefined {
    const id = cookieHeader ? COOKIE_PATTERN.exec(cookieHeader)?.[1] : undefined;
    if (!id) return undefined;
    const key = digest(id);
    const session = this.sessions.get(key);
    if (session && session.expiresAt <= this.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    return session;
  }

  /** Ends the session named by the Cookie header. */
  destroy(cookieHeader: string | undefined): void {
    const id = cookieHeader ? COOKIE_PATTERN.exec(cookieHeader)?.[1] : undefined;
    if (id) this.sessions.delete(digest(id));
  }

  /** The Set-Cookie value for a new session: HttpOnly, SameSite=Strict, for the whole admin origin. */
  cookie(id: string, secure: boolean): string {
    return `${DASHBOARD_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(this.ttlMs / 1000)}${secure ? '; Secure' : ''}`;
  }

  static clearedCookie(): string {
    return `${DASHBOARD_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
  }

  private prune(): void {
    const now = this.now();
    for (const [key, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(key);
  }
}

/** True when `given` is the session's CSRF token (constant time). */
export function csrfMatches(session: Session, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(session.csrfToken);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
