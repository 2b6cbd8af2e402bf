import { HttpProblem } from '@orderflow/http';
import type { Express, RequestHandler } from 'express';
import { z } from 'zod';
import type { AdminClient, ServiceName } from '../upstream/admin-client';

/** The services with a public API of their own, in the order the reference lists them. */
export const DOCUMENTED: readonly ServiceName[] = ['order', 'fulfillment', 'dispatch', 'ingress', 'notification'];
const service = z.enum(DOCUMENTED as [ServiceName, ...ServiceName[]]);

export interface OpenApiRouteDeps {
  admin: AdminClient;
  guard: RequestHandler[];
}

/**
 * The API reference page's documents (issue 22): each service's own /openapi.json, passed on
 * as the service serves it, so the page shows exactly what that service validates with.
 */
export function openApiRoutes(deps: OpenApiRouteDeps): (app: Express) => void {
  return (app) => {
    app.get('/console/api/openapi', ...deps.guard, (_req, res) => {
      res.json({ services: DOCUMENTED });
    });

    app.get('/console/api/openapi/:service', ...deps.guard, async (req, res) => {
      const name = service.safeParse(req.params.service);
      if (!name.success) throw new HttpProblem(404, { detail: `No API document for ${req.params.service}` });
      const answer = await deps.admin.raw(name.data, '/openapi.json', { admin: false });
      if (answer.status !== 200) throw new HttpProblem(502, { detail: `The ${name.data} service did not give its API document` });
      res.type('application/json').send(answer.text);
    });
  };
}
