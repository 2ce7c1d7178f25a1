/**
 * A local stand-in for the part of Stripe that Cogzy uses (node http, loopback, port 0 by default), speaking
 * Stripe's protocol: form-encoded `POST /v1/checkout/sessions` and `POST /v1/billing_portal/sessions` with the
 * secret key as bearer, `GET /v1/checkout/sessions/:id`, Stripe-shaped JSON and errors. It hosts the pages a person
 * sees: checkout (`/pay/cs_...`, buttons "Pay" and "Pay by bank transfer" whose payment settles a moment later) and
 * the billing portal (`/portal/bps_...`, button "Cancel subscription"). Outcomes reach the app as webhook events
 * signed as Stripe signs them (`Stripe-Signature: t=..,v1=HMAC-SHA256(secret, "t.body")`), POSTed to `webhookUrl`.
 * Without a `webhookUrl` (the Worker under workerd has no HTTP address), events wait in an outbox that tests read
 * at `GET /_outbox/<userId>` and deliver themselves. Cancelling ends the stand-in's billing period at once: it
 * sends `customer.subscription.updated` (cancel_at_period_end) and then `customer.subscription.deleted`.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StripeServerOptions {
  host?: string;
  port?: number;
  /** The `sk_...` key clients must send. */
  secretKey: string;
  /** The `whsec_...` secret webhooks are signed with. */
  webhookSecret: string;
  /** Where events are POSTed; null keeps them in the outbox. */
  webhookUrl?: string | null;
}

export interface SignedDelivery {
  type: string;
  userId: string | null;
  body: string;
  signature: string;
  /** HTTP status of the delivery, null when kept in the outbox. */
  status: number | null;
}

export interface StripeServer {
  readonly url: string;
  readonly deliveries: SignedDelivery[];
  /** Where events go from now on (the Worker may start after this server, to learn its URL). */
  setWebhookUrl(url: string | null): void;
  close(): Promise<void>;
}

interface CheckoutSession {
  id: string;
  object: 'checkout.session';
  url: string;
  mode: string;
  status: 'open' | 'complete';
  payment_status: 'unpaid' | 'paid';
  client_reference_id: string | null;
  customer: string | null;
  customer_email: string | null;
  metadata: Record<string, string>;
  success_url: string;
  cancel_url: string;
  subscription: string | null;
  price: string;
  subscriptionMetadata: Record<string, string>;
}

interface Subscription {
  id: string;
  object: 'subscription';
  customer: string;
  status: 'active' | 'canceled';
  cancel_at_period_end: boolean;
  current_period_end: number;
  metadata: Record<string, string>;
}

const id = (prefix: string) => `${prefix}_test_${randomBytes(12).toString('hex')}`;
const seconds = () => Math.floor(Date.now() / 1000);

/** `metadata[userId]=x` style keys into one level of nesting (all Cogzy sends). */
function nested(form: URLSearchParams, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of form) {
    if (key.startsWith(`${prefix}[`) && key.endsWith(']')) out[key.slice(prefix.length + 1, -1)] = value;
  }
  return out;
}

function stripeError(res: ServerResponse, status: number, message: string, param?: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { type: status === 401 ? 'invalid_request_error' : 'invalid_request_error', message, ...(param ? { param } : {}) } }));
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function page(res: ServerResponse, title: string, body: string): void {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
      `<link rel="icon" href="data:,"><title>${escapeHtml(title)}</title><style>body{font:16px system-ui;max-width:30rem;margin:2rem auto;padding:0 1rem}` +
      `button{font:inherit;padding:.5rem 1rem;margin:.25rem 0}</style></head><body><p><small>Local Stripe stand-in (no real payment)</small></p>${body}</body></html>`,
  );
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location });
  res.end();
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startStripeServer(initial: StripeServerOptions): Promise<StripeServer> {
  const options = { ...initial };
  const host = options.host ?? '127.0.0.1';
  const sessions = new Map<string, CheckoutSession>();
  const subscriptions = new Map<string, Subscription>();
  const portals = new Map<string, { customer: string; return_url: string }>();
  const deliveries: SignedDelivery[] = [];
  let base = '';

  const send = async (type: string, object: Record<string, unknown>, userId: string | null): Promise<void> => {
    const event = { id: id('evt'), object: 'event', api_version: '2025-01-27', created: seconds(), livemode: false, type, data: { object } };
    const body = JSON.stringify(event);
    const t = seconds();
    const signature = `t=${t},v1=${createHmac('sha256', options.webhookSecret).update(`${t}.${body}`).digest('hex')}`;
    const delivery: SignedDelivery = { type, userId, body, signature, status: null };
    deliveries.push(delivery);
    if (!options.webhookUrl) return;
    try {
      const res = await fetch(options.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, body });
      delivery.status = res.status;
      await res.body?.cancel();
    } catch {
      delivery.status = 0;
    }
  };

  const sessionObject = (s: CheckoutSession) => {
    const { price: _price, subscriptionMetadata: _meta, ...rest } = s;
    return rest;
  };
  const userOf = (metadata: Record<string, string>, reference: string | null = null) => metadata.userId ?? reference;

  const authorised = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.headers.authorization === `Bearer ${options.secretKey}`) return true;
    stripeError(res, 401, 'Invalid API Key provided.');
    return false;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', base);
    const path = url.pathname;
    const method = req.method ?? 'GET';

    if (method === 'POST' && path === '/v1/checkout/sessions') {
      if (!authorised(req, res)) return;
      const form = new URLSearchParams(await readBody(req));
      for (const param of ['mode', 'success_url', 'cancel_url', 'line_items[0][price]']) {
        if (!form.get(param)) return stripeError(res, 400, `Missing required param: ${param}.`, param);
      }
      const sessionId = id('cs');
      const session: CheckoutSession = {
        id: sessionId,
        object: 'checkout.session',
        url: `${base}/pay/${sessionId}`,
        mode: form.get('mode') ?? '',
        status: 'open',
        payment_status: 'unpaid',
        client_reference_id: form.get('client_reference_id'),
        customer: form.get('customer'),
        customer_email: form.get('customer_email'),
        metadata: nested(form, 'metadata'),
        success_url: form.get('success_url') ?? '',
        cancel_url: form.get('cancel_url') ?? '',
        subscription: null,
        price: form.get('line_items[0][price]') ?? '',
        subscriptionMetadata: nested(form, 'subscription_data[metadata]'),
      };
      sessions.set(sessionId, session);
      return json(res, sessionObject(session));
    }
    const sessionMatch = /^\/v1\/checkout\/sessions\/([\w]+)$/.exec(path);
    if (method === 'GET' && sessionMatch) {
      if (!authorised(req, res)) return;
      const session = sessions.get(sessionMatch[1] ?? '');
      return session ? json(res, sessionObject(session)) : stripeError(res, 404, 'No such checkout.session');
    }
    if (method === 'POST' && path === '/v1/billing_portal/sessions') {
      if (!authorised(req, res)) return;
      const form = new URLSearchParams(await readBody(req));
      const customer = form.get('customer') ?? '';
      if (![...subscriptions.values()].some((s) => s.customer === customer)) return stripeError(res, 404, `No such customer: '${customer}'`, 'customer');
      const portalId = id('bps');
      portals.set(portalId, { customer, return_url: form.get('return_url') ?? '' });
      return json(res, { id: portalId, object: 'billing_portal.session', customer, return_url: form.get('return_url'), url: `${base}/portal/${portalId}` });
    }
    const outbox = /^\/_outbox\/(.+)$/.exec(path);
    if (method === 'GET' && outbox) {
      return json(res, deliveries.filter((d) => d.userId === decodeURIComponent(outbox[1] ?? '')));
    }

    const pay = /^\/pay\/(\w+)(\/(card|bank))?$/.exec(path);
    const session = pay ? sessions.get(pay[1] ?? '') : undefined;
    if (pay && session) {
      if (method === 'GET') {
        return page(
          res,
          'Checkout: Cogzy Premium',
          `<h1>Cogzy Premium</h1><p>Price <code>${escapeHtml(session.price)}</code>, billed monthly.</p>` +
            `<form method="post" action="/pay/${session.id}/card"><button type="submit">Pay</button></form>` +
            `<form method="post" action="/pay/${session.id}/bank"><button type="submit">Pay by bank transfer</button></form>` +
            `<p><a href="${escapeHtml(session.cancel_url)}">Back to Cogzy</a></p>`,
        );
      }
      if (method === 'POST' && pay[3] !== undefined && session.status === 'open') {
        const customer = session.customer ?? id('cus');
        const subscription: Subscription = {
          id: id('sub'),
          object: 'subscription',
          customer,
          status: 'active',
          cancel_at_period_end: false,
          current_period_end: seconds() + 30 * 24 * 3600,
          metadata: session.subscriptionMetadata,
        };
        subscriptions.set(subscription.id, subscription);
        Object.assign(session, { status: 'complete', customer, subscription: subscription.id });
        const userId = userOf(session.metadata, session.client_reference_id);
        if (pay[3] === 'card') {
          session.payment_status = 'paid';
          await send('checkout.session.completed', sessionObject(session), userId);
        } else {
          // A delayed method: completed while unpaid, then the payment settles.
          await send('checkout.session.completed', sessionObject(session), userId);
          session.payment_status = 'paid';
          await send('checkout.session.async_payment_succeeded', sessionObject(session), userId);
        }
        await send('customer.subscription.created', { ...subscription }, userOf(subscription.metadata));
        return redirect(res, session.success_url);
      }
    }

    const portalMatch = /^\/portal\/(\w+)(\/cancel)?$/.exec(path);
    const portal = portalMatch ? portals.get(portalMatch[1] ?? '') : undefined;
    if (portalMatch && portal) {
      const active = [...subscriptions.values()].filter((s) => s.customer === portal.customer && s.status === 'active');
      if (method === 'GET') {
        const list = active.length === 0 ? '<p>No active subscription.</p>' : active.map((s) => `<p>Cogzy Premium: <strong>${s.status}</strong></p>`).join('');
        return page(
          res,
          'Billing portal: Cogzy',
          `<h1>Your subscription</h1>${list}` +
            (active.length > 0 ? `<form method="post" action="/portal/${portalMatch[1] ?? ''}/cancel"><button type="submit">Cancel subscription</button></form>` : '') +
            `<p><a href="${escapeHtml(portal.return_url)}">Back to Cogzy</a></p>`,
        );
      }
      if (method === 'POST' && portalMatch[2] === '/cancel') {
        for (const s of active) {
          s.cancel_at_period_end = true;
          await send('customer.subscription.updated', { ...s }, userOf(s.metadata));
          // The stand-in's billing period ends right away, so the downgrade is visible without waiting a month.
          s.status = 'canceled';
          await send('customer.subscription.deleted', { ...s }, userOf(s.metadata));
        }
        return redirect(res, portal.return_url);
      }
    }
    return stripeError(res, 404, `Unrecognized request URL (${method}: ${path}).`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) stripeError(res, 500, `stand-in failure: ${String(error)}`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve));
  base = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    deliveries,
    setWebhookUrl: (url) => {
      options.webhookUrl = url;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
