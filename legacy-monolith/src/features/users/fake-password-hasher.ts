import type { PasswordHasher } from './password-hasher.js';

/** A fast stand-in for argon2 in unit tests: distinguishable from the password, checkable. */
export const fakePasswordHasher: PasswordHasher = {
  hash: async (password) => `fake-hash(${[...password].reverse().join('')})`,
  verify: async (passwordHash, password) => passwordHash === `fake-hash(${[...password].reverse().join('')})`,
};
