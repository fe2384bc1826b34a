import type { Role } from '../../http/access-tokens.js';

export interface UserRecord {
  id: string;
  email: string;
  name: string;
  role: Role;
  passwordHash: string;
  createdAt: Date;
}

export interface NewUser {
  email: string;
  name: string;
  role: Role;
  passwordHash: string;
}

export interface UsersStore {
  findByEmail(email: string): Promise<UserRecord | undefined>;
  findById(id: string): Promise<UserRecord | undefined>;
  /** Returns `email_taken` when the (lower-case) email already exists, even under a race. */
  create(user: NewUser): Promise<UserRecord | 'email_taken'>;
}
