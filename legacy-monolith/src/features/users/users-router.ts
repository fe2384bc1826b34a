import { Router } from 'express';
import { z } from 'zod';
import { MIN_PASSWORD_LENGTH, type UsersService } from './users-service.js';
import type { MonolithApi } from '../../http/access-tokens.js';

export const UserSchema = z
  .object({
    id: z.uuid(),
    email: z.email(),
    name: z.string(),
    role: z.enum(['customer', 'admin']),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'User' });

export const SessionSchema = z
  .object({ user: UserSchema, accessToken: z.string(), tokenType: z.literal('Bearer'), expiresIn: z.number().int().meta({ description: 'Seconds until the token expires' }) })
  .meta({ id: 'Session' });

const RegisterBody = z
  .object({
    email: z.email().max(254),
    password: z.string().min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`).max(256),
    name: z.string().trim().min(1).max(100),
  })
  .strict()
  .meta({ id: 'RegisterRequest' });

const LoginBody = z.object({ email: z.string().min(1).max(254), password: z.string().min(1).max(256) }).strict().meta({ id: 'LoginRequest' });

export function usersRouter(api: MonolithApi, users: UsersService): Router {
  const router = Router();
  api.route(
    router,
    {
      method: 'post',
      path: '/api/auth/register',
      summary: 'Create a customer account and sign in',
      tags: ['users'],
      body: RegisterBody,
      responses: { 201: { description: 'Account created', schema: SessionSchema }, 409: { description: 'email_taken' } },
    },
    async ({ body }) => ({ status: 201, body: await users.register(body) }),
  );
  api.route(
    router,
    {
      method: 'post',
      path: '/api/auth/login',
      summary: 'Exchange email and password for an access token',
      tags: ['users'],
      body: LoginBody,
      responses: { 200: { description: 'Signed in', schema: SessionSchema }, 401: { description: 'invalid_credentials' } },
    },
    async ({ body }) => ({ status: 200, body: await users.login(body) }),
  );
  api.route(
    router,
    {
      method: 'get',
      path: '/api/users/me',
      summary: 'The signed-in user',
      tags: ['users'],
      auth: 'user',
      responses: { 200: { description: 'The user of the token', schema: UserSchema } },
    },
    async ({ user }) => ({ status: 200, body: await users.me(user.sub) }),
  );
  return router;
}
