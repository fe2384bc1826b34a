import { ConflictError, NotFoundError, UnauthorizedError } from '@strangler/platform';
import type { AccessTokenClaims as AccessClaims, Role } from '../../http/access-tokens.js';
import type { PasswordHasher } from './password-hasher.js';
import type { UserRecord, UsersStore } from './users-store-type.js';

export interface PublicUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: string;
}

export interface Session {
  user: PublicUser;
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

export interface TokenSigner {
  sign(claims: AccessClaims): { token: string; expiresIn: number };
}

export const MIN_PASSWORD_LENGTH = 10;

/** Emails compare case-insensitively: stored and looked up trimmed and in lower case. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export class UsersService {
  private decoyHash: Promise<string> | undefined;

  constructor(
    private readonly store: UsersStore,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenSigner,
  ) {}

  async register(input: { email: string; password: string; name: string }): Promise<Session> {
    const email = normaliseEmail(input.email);
    if (await this.store.findByEmail(email)) throw emailTaken();
    const passwordHash = await this.hasher.hash(input.password);
    const created = await this.store.create({ email, name: input.name.trim(), role: 'customer', passwordHash });
    if (created === 'email_taken') throw emailTaken();
    return this.session(created);
  }

  /** One answer for an unknown email and a wrong password, with the same work done for both. */
  async login(input: { email: string; password: string }): Promise<Session> {
    const user = await this.store.findByEmail(normaliseEmail(input.email));
    const ok = await this.hasher.verify(user?.passwordHash ?? (await this.decoy()), input.password);
    if (!user || !ok) throw new UnauthorizedError('Email or password is incorrect', 'invalid_credentials');
    return this.session(user);
  }

  async me(userId: string): Promise<PublicUser> {
    const user = await this.store.findById(userId);
    if (!user) throw new NotFoundError('The user of this token no longer exists');
    return toPublic(user);
  }

  private session(user: UserRecord): Session {
    const { token, expiresIn } = this.tokens.sign({ sub: user.id, role: user.role, email: user.email });
    return { user: toPublic(user), accessToken: token, tokenType: 'Bearer', expiresIn };
  }

  private decoy(): Promise<string> {
    this.decoyHash ??= this.hasher.hash('decoy password that matches nothing');
    return this.decoyHash;
  }
}

function emailTaken(): ConflictError {
  return new ConflictError('An account with this email already exists', 'email_taken');
}

export function toPublic(user: UserRecord): PublicUser {
  return { id: user.id, email: user.email, name: user.name, role: user.role, createdAt: user.createdAt.toISOString() };
}
