import { Prisma, type User } from '../../generated/prisma/client.js';
import type { PrismaClient } from '../../db/prisma.js';
import type { NewUser, UserRecord, UsersStore } from './users-store-type.js';

export class PrismaUsersStore implements UsersStore {
  constructor(private readonly prisma: PrismaClient) {}

  async findByEmail(email: string): Promise<UserRecord | undefined> {
    const row = await this.prisma.user.findUnique({ where: { email } });
    return row ? toRecord(row) : undefined;
  }

  async findById(id: string): Promise<UserRecord | undefined> {
    const row = await this.prisma.user.findUnique({ where: { id } });
    return row ? toRecord(row) : undefined;
  }

  async create(user: NewUser): Promise<UserRecord | 'email_taken'> {
    try {
      return toRecord(await this.prisma.user.create({ data: user }));
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') return 'email_taken';
      throw err;
    }
  }
}

function toRecord(row: User): UserRecord {
  return { id: row.id, email: row.email, name: row.name, role: row.role, passwordHash: row.passwordHash, createdAt: row.createdAt };
}
