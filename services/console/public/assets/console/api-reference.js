import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { ErrorNote, JsonView } from '../lib/components.js';
import { html } from '../lib/html.js';

const LABELS = { order: 'Checkout and orders (shops)', fulfillment: 'Tickets and license keys (shops)', dispatch: 'Partner webhooks (partners)', ingress: 'Provider webhooks (Stripe, Wix)', notification: 'Notifications and mailbox (support)' };

/**
 * The API reference (issue 22): each service's OpenAPI 3.1 document, as the service serves it at
 * /openapi.json, rendered operation by operation — what a partner needs to call us, and what
 * we send them.
 */
export function ApiReferencePage() {
  const [services, setServices] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    api('/console/api/openapi')
      .then((answer) => setServices(answer.services))
      .catch(setError);
  }, []);
  return html`<section aria-labelledby="api-title">
    <h1 id="api-title" tabindex="-1">API reference</h1>
    <p class="lead">Generated from the schemas each service validates with. All of them, merged, are at <a href="/openapi.json"><code>/openapi.json</code></a> on this origin (each service's at <code>/openapi/&lt;service&gt;.json</code>); import it into any OpenAPI tool to generate a client.</p>
    <${ErrorNote} error=${error} />
    ${services && services.map((name) => html`<${ServiceApi} key=${name} name=${name} />`)}
  </section>`;
}

function ServiceApi({ name }) {
  const [document, setDocument] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    api(`/console/api/openapi/${name}`).then(setDocument).catch(setError);
  }, [name]);
  const headingId = `api-${name}`;
  return html`<section class="panel api-service" aria-labelledby=${headingId}>
    <h2 id=${headingId}>${LABELS[name] ?? name}</h2>
    <${ErrorNote} error=${error} />
    ${document && html`
      <p>${document.info.description} <span class="muted">(${document.info.title}, OpenAPI ${document.openapi})</span></p>
      ${Object.entries(document.paths).flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, op]) => html`<${Operation} key=${`${method} ${path}`} method=${method} path=${path} op=${op} schemes=${document.components?.securitySchemes ?? {}} shared=${document.components?.responses ?? {}} />`),
      )}
      ${document.webhooks && html`
        <h3>Events we send you</h3>
        ${Object.entries(document.webhooks).map(([event, hook]) => html`<${Operation} key=${event} method="post" path=${event} op=${hook.post} schemes=${{}} webhook=${true} />`)}
      `}
    `}
  </section>`;
}

function Operation({ method, path, op, schemes, shared = {}, webhook }) {
  const security = (op.security ?? []).flatMap((s) => Object.keys(s));
  const body = op.requestBody && Object.entries(op.requestBody.content)[0];
  return html`<details class="api-operation" data-operation=${op.operationId}>
    <summary><span class=${`api-method api-${method}`}>${webhook ? 'EVENT' : method.toUpperCase()}</span> <code>${path}</code> <span>${op.summary}</span></summary>
    ${op.description && html`<p>${op.description}</p>`}
    ${security.length > 0 && html`<p><strong>Authentication:</strong> ${security.map((name) => html`<span title=${schemes[name]?.description ?? ''}>${name}</span>`)} — ${security.map((name) => schemes[name]?.description).join(' ')}</p>`}
    ${op.parameters?.length > 0 && html`
      <table class="api-params">
        <caption>Parameters</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">In</th><th scope="col">Required</th><th scope="col">Schema</th></tr></thead>
        <tbody>${op.parameters.map((p) => html`<tr key=${`${p.in}-${p.name}`}><td><code>${p.name}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : 'no'}</td><td><code>${JSON.stringify(p.schema)}</code></td></tr>`)}</tbody>
      </table>`}
    ${body && html`
      <h4>${webhook ? 'Body' : 'Request body'} (<code>${body[0]}</code>)</h4>
      <${JsonView} value=${body[1].schema} label=${`Request schema of ${op.operationId}`} />
      ${body[1].example !== undefined && html`<p class="muted">Example:</p><${JsonView} value=${body[1].example} label=${`Example for ${op.operationId}`} />`}`}
    <h4>Responses</h4>
    <ul class="api-responses">
      ${Object.entries(op.responses).map(([status, response]) => {
        const content = response.content && Object.entries(response.content)[0];
        const description = response.$ref ? `${shared[response.$ref.split('/').pop()]?.description ?? 'An error'} (a problem document, application/problem+json)` : response.description;
        return html`<li key=${status}><strong>${status}</strong> ${description}${content && html`<${JsonView} value=${content[1].schema} label=${`Response ${status} of ${op.operationId}`} />`}</li>`;
      })}
    </ul>
  </details>`;
}
