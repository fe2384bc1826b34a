import { describe, expect, it } from 'vitest';
import { scramSha256Verifier } from './postgres-setup.js';

describe('password verifiers', () => {
  it('computes the SCRAM-SHA-256 verifier PostgreSQL stores (checked against an independent implementation)', () => {
    const salt = Buffer.from([...Array(16).keys()]);
    expect(scramSha256Verifier('pencil', salt)).toBe(
      'SCRAM-SHA-256$4096:AAECAwQFBgcICQoLDA0ODw==$zHCdol2044/ZyWzPLi7oxApCkamKw9Z+E4U/QApd/5Y=:dd5peBOitVnLNFu7VmwP+HiDaaw4OUCv396eVCWhYiE=',
    );
  });

  it('salts each verifier anew, so two roles with one password do not share a verifier', () => {
    expect(scramSha256Verifier('same')).not.toBe(scramSha256Verifier('same'));
  });
});
