import { randomUUID } from 'node:crypto';
import type { NewUser, UserRecord, UsersStore } from './users-store-type.js';

/** In-memory users for unit tests. */
export class FakeUsersStore implements UsersStore {
  readonly users: UserRecord[] = [];

  async findByEmail(email: string): Promise<UserRecord | undefined> {
    return this.users.find((u) => u.email === email);
  }

  async findById(id: string): Promise<UserRecord | undefined> {
    return this.users.find((u) => u.id === id);
  }

  async create(user: NewUser): Promise<UserRecord | 'email_taken'> {
    if (this.users.some((u) => u.email === user.email)) return 'email_taken';
    const record: UserRecord = { ...user, id: randomUUID(), createdAt: new Date() };
    this.users.push(record);
    return record;
  }
}
