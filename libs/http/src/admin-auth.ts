import type { RequestHandler } from 'express';
import { bearerAuth } from './bearer-auth';

/** Bearer `ADMIN_TOKEN`, compared in constant time. */
export function adminAuth(token: string): RequestHandler {
  return bearerAuth(token, 'A valid admin bearer token is required');
}
