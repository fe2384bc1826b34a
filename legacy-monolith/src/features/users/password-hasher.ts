import { hash, verify } from '@node-rs/argon2';

// `Algorithm` is an ambient const enum (unusable with verbatimModuleSyntax): 2 is Argon2id.
const ARGON2ID = 2;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(passwordHash: string, password: string): Promise<boolean>;
}

/**
 * Argon2id with the OWASP baseline (19 MiB, 2 iterations, 1 lane). The encoded hash carries its
 * parameters and salt, so raising them later still verifies the old hashes.
 */
export const argon2idHasher: PasswordHasher = {
  hash: (password) => hash(password, { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 }),
  verify: async (passwordHash, password) => {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  },
};
