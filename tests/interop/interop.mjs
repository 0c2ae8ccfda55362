// Interop test: webhook deliveries signed by the providers' own npm libraries, sent to
// `hookscope serve`, and HookScope's verdicts and event metadata compared with what those
// libraries say about the same bytes.
//
//   node interop.mjs HOOKSCOPE_BINARY SCRATCH_DIR
//
// Run it through run.sh, which installs the libraries (package-lock.json, exact versions) next
// to a copy of this file: the imports below resolve from the directory this file is in.
//
// What it does:
//   1. Creates SCRATCH_DIR/interop.db and one endpoint per scheme with `hookscope endpoint add`
//      (plus an `auto` endpoint holding every provider's secret). HOOKSCOPE_SECRET_STORAGE is
//      `database` and the XDG directories point into SCRATCH_DIR, so neither the keychain nor
//      the home directory is touched.
//   2. Starts `hookscope serve --listen 127.0.0.1:0`, reads the port from its first line.
//   3. For each provider, signs deliveries with the library's own signing function (valid,
//      non-ASCII UTF-8 body, tampered body, wrong secret, stale timestamp, ...), asks the
//      library's own verify function for its verdict on the exact bytes, and POSTs them with
//      node's http module.
//   4. Stops serve (SIGTERM), reads `hookscope deliveries --json` and, where needed,
//      `hookscope show ID --json`, and compares. HookScope must say `valid` exactly when the
//      library accepts; where the library rejects, HookScope must name the reason (`stale` for
//      an old timestamp with a good signature, `invalid` for a tampered body or a wrong
//      secret). Event type and event id must be what the provider's headers or body say.
//      A difference known to be deliberate (Stripe's library accepting timestamps from the
//      future, for one) is printed as a note and does not fail the test.
//
// Providers without a small official verifier are signed and verified with node:crypto,
// following the provider's documented recipe (see each provider below): Slack, Shopify and
// HostedHooks. svix is pinned to 1.x: svix 2 requires Node 22 where these machines have
// Node 20, and 1.x verifies the same way (its Webhook wraps the standardwebhooks one).
//
// Exit status: 0 when HookScope agrees on everything, 1 on any disagreement, 2 when the test
// itself cannot run (serve does not start, a CLI command fails, a library does not reproduce
// the published test vectors).

import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import { sign as octokitSign, verify as octokitVerify } from '@octokit/webhooks-methods';
import standardwebhooks from 'standardwebhooks';
import Stripe from 'stripe';
import svix from 'svix';

const StandardWebhook = standardwebhooks.Webhook;
const SvixWebhook = svix.Webhook;

// ---------------------------------------------------------------------------------------------
// Arguments, environment, helpers
// ---------------------------------------------------------------------------------------------

class HarnessError extends Error {}

const [binary, scratchArg] = process.argv.slice(2);
if (!binary || !scratchArg) {
    console.error('usage: node interop.mjs HOOKSCOPE_BINARY SCRATCH_DIR');
    process.exit(2);
}
const scratch = path.resolve(scratchArg);
const db = path.join(scratch, 'interop.db');

// Secrets are fixed (message ids and timestamps are not). The whsec_ secrets of
// Standard Webhooks and Svix are base64 after the prefix (the key is the decoded bytes);
// Stripe's is used whole, as a string, the way Stripe's library uses it.
const SECRETS = {
    hostedhooks: 'hh_interop_secret_5d1c0e',
    standardWebhooks: 'whsec_c49HCrrinCEAdqF529YZFzYBRi98Kg6q',
    svix: 'whsec_O002kkAxj7NMLjcnVDZPiUhDH8eu5bpO',
    stripe: 'whsec_gxAY5OFy2WI9oNGMKldActlMlunCiQ6J',
    github: "It's a Secret to Everybody (interop)",
    shopify: 'f057ab2e8ecdf7267f9be28c206d6ec0',
    slack: 'dc8cc5d96e55c21ecc6dc9ce2f4ded26',
};
// What a sender signs with when the receiver holds another secret (same shape, other value).
const WRONG_SECRETS = {
    hostedhooks: 'hh_interop_secret_000000',
    standardWebhooks: 'whsec_g/hTUmqcLPIVLsxvWMBvdbMUi1SWTzPY',
    svix: 'whsec_i/vFZ5qs7qnxT5QQTgPRSftivK6V8COP',
    stripe: 'whsec_u7sGKhjZWEsesq7E3DylxYdQWbT2R1uV',
    github: "It's a Secret to Somebody Else",
    shopify: 'e83081cb4215cf840113c544aacf9334',
    slack: 'daeae4aa3a11efb05ac098a98c9001ce',
};
const secretVar = (key) => `INTEROP_SECRET_${key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase()}`;

const env = {
    ...process.env,
    HOOKSCOPE_SECRET_STORAGE: 'database',
    XDG_DATA_HOME: path.join(scratch, 'data'),
    XDG_CONFIG_HOME: path.join(scratch, 'config'),
    XDG_CACHE_HOME: path.join(scratch, 'cache'),
};
for (const key of Object.keys(SECRETS))
    env[secretVar(key)] = SECRETS[key];

const TOLERANCE = 300; // HookScope's default, and Stripe's, Svix's and Slack's documented one.
const now = () => Math.floor(Date.now() / 1000);
const hmac = (algorithm, key, data) => crypto.createHmac(algorithm, key).update(data);
// Constant-time comparison of two signatures as text, as the providers' recipes ask.
const sameText = (a, b) => {
    const [x, y] = [Buffer.from(a ?? ''), Buffer.from(b ?? '')];
    return x.length === y.length && crypto.timingSafeEqual(x, y);
};
const randomToken = (n) => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    return Array.from(crypto.randomBytes(n), (b) => alphabet[b % alphabet.length]).join('');
};
const versionOf = (name) => {
    const file = new URL(`./node_modules/${name}/package.json`, import.meta.url);
    return JSON.parse(fs.readFileSync(file, 'utf8')).version;
};

// Runs a hookscope command; its stdout, or a HarnessError with its stderr.
function hookscope(...args) {
    try {
        return execFileSync(binary, [...args, '--db', db], {
            env,
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'pipe'],
            timeout: 60_000,
        });
    } catch (error) {
        throw new HarnessError(
            `hookscope ${args.join(' ')} failed: ${error.message}\n${error.stderr ?? ''}`,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Providers: how each one signs, and how its library (or documented recipe) verifies.
//
// sign({body, secret, timestamp, id}) returns the headers of a delivery (body is a string,
// sent as its UTF-8 bytes). verify({body, headers, secret}) returns null when the library
// accepts the delivery, or the library's reason for rejecting it.
// ---------------------------------------------------------------------------------------------

// GitHub: @octokit/webhooks-methods, `sign` and `verify` (X-Hub-Signature-256, hex HMAC-SHA256
// of the body). GitHub also still sends the legacy SHA-1 X-Hub-Signature, which octokit no
// longer produces; it is added with node:crypto so that the deliveries look like GitHub's.
const github = {
    key: 'github',
    scheme: 'github',
    library: `@octokit/webhooks-methods ${versionOf('@octokit/webhooks-methods')}`,
    timestamped: false,
    async sign({ body, secret, id }) {
        return {
            'User-Agent': 'GitHub-Hookshot/interop',
            'Content-Type': 'application/json',
            'X-GitHub-Event': 'push',
            'X-GitHub-Delivery': id,
            'X-GitHub-Hook-ID': '42',
            'X-GitHub-Hook-Installation-Target-Type': 'repository',
            'X-GitHub-Hook-Installation-Target-ID': '1296269',
            'X-Hub-Signature': `sha1=${hmac('sha1', secret, body).digest('hex')}`,
            'X-Hub-Signature-256': await octokitSign(secret, body),
        };
    },
    async verify({ body, headers, secret }) {
        const ok = await octokitVerify(secret, body, headers['X-Hub-Signature-256']);
        return ok ? null : 'signature does not match';
    },
    newId: () => crypto.randomUUID(),
    body: (id) =>
        JSON.stringify({
            ref: 'refs/heads/main',
            before: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
            after: '0000000000000000000000000000000000000000',
            repository: { id: 1296269, full_name: 'octocat/Hello-World' },
            pusher: { name: 'octocat', email: 'octocat@github.com' },
            hook_delivery: id,
        }),
    // The provider metadata being built: event type from X-GitHub-Event, event id from
    // X-GitHub-Delivery.
    meta: ({ id }) => ({ event_type: 'push', event_id: id }),
};

// Standard Webhooks: the reference library `standardwebhooks`, Webhook#sign and
// Webhook#verify (webhook-id, webhook-timestamp, webhook-signature "v1,<base64>").
function standardWebhooksHeaders(secret, { body, timestamp, id }, prefix) {
    return {
        'Content-Type': 'application/json',
        [`${prefix}-id`]: id,
        [`${prefix}-timestamp`]: String(timestamp),
        [`${prefix}-signature`]: new StandardWebhook(secret).sign(
            id,
            new Date(timestamp * 1000),
            body,
        ),
    };
}
const standardWebhooks = {
    key: 'standardWebhooks',
    scheme: 'standard-webhooks',
    library: `standardwebhooks ${versionOf('standardwebhooks')}`,
    timestamped: true,
    futureRejected: true, // the library refuses timestamps more than 5 minutes ahead
    rotation: true, // "v1,<a> v1,<b>": the header may carry several signatures
    sign: (request) => standardWebhooksHeaders(request.secret, request, 'webhook'),
    verify({ body, headers, secret }) {
        try {
            new StandardWebhook(secret).verify(body, headers);
            return null;
        } catch (error) {
            return error.message;
        }
    },
    newId: () => `msg_${randomToken(27)}`,
    body: () =>
        JSON.stringify({
            type: 'invoice.paid',
            timestamp: new Date().toISOString(),
            data: { invoice: 'in_1MtHbELkdIwHu7ixl4OzzPMv', amount_paid: 2000 },
        }),
    // Event type from the payload's `type`, event id from the webhook-id header.
    meta: ({ id }) => ({ event_type: 'invoice.paid', event_id: id }),
};

// Svix: the `svix` package, Webhook#sign(msgId, date, payload) and Webhook#verify
// (svix-id, svix-timestamp, svix-signature; the same scheme as Standard Webhooks).
const svixProvider = {
    key: 'svix',
    scheme: 'svix',
    library: `svix ${versionOf('svix')}`,
    timestamped: true,
    futureRejected: true,
    rotation: true,
    sign({ body, secret, timestamp, id }) {
        return {
            'Content-Type': 'application/json',
            'svix-id': id,
            'svix-timestamp': String(timestamp),
            'svix-signature': new SvixWebhook(secret).sign(id, new Date(timestamp * 1000), body),
        };
    },
    verify({ body, headers, secret }) {
        try {
            new SvixWebhook(secret).verify(body, headers);
            return null;
        } catch (error) {
            return error.message;
        }
    },
    newId: () => `msg_${randomToken(27)}`,
    body: () =>
        JSON.stringify({
            type: 'invoice.paid',
            timestamp: new Date().toISOString(),
            data: { invoice: 'in_1MtHbELkdIwHu7ixl4OzzPMv', amount_paid: 2000 },
        }),
    // Event type from the payload's `type`, event id from the svix-id header.
    meta: ({ id }) => ({ event_type: 'invoice.paid', event_id: id }),
};

// Stripe: the `stripe` package, stripe.webhooks.generateTestHeaderString (Stripe-Signature
// "t=<ts>,v1=<hex>", the whole whsec_ string as the key) and stripe.webhooks.constructEvent
// with its default tolerance of 300 s. Stripe's library only refuses OLD timestamps (one
// ahead of the clock is accepted, however far), where HookScope applies its tolerance both
// ways, so there is no "future timestamp" case for Stripe.
const stripeProvider = {
    key: 'stripe',
    scheme: 'stripe',
    library: `stripe ${versionOf('stripe')}`,
    timestamped: true,
    futureRejected: false,
    rotation: true, // "t=<ts>,v1=<a>,v1=<b>"
    sign({ body, secret, timestamp }) {
        return {
            'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
            'Content-Type': 'application/json; charset=utf-8',
            'Stripe-Signature': Stripe.webhooks.generateTestHeaderString({
                payload: body,
                secret,
                timestamp,
            }),
        };
    },
    verify({ body, headers, secret }) {
        try {
            Stripe.webhooks.constructEvent(
                Buffer.from(body, 'utf8'),
                headers['Stripe-Signature'],
                secret,
            );
            return null;
        } catch (error) {
            return error.message.split('\n')[0];
        }
    },
    newId: () => `evt_${randomToken(24)}`,
    body: (id) =>
        JSON.stringify({
            id,
            object: 'event',
            api_version: '2024-06-20',
            type: 'invoice.paid',
            data: { object: { id: 'in_1MtHbELkdIwHu7ixl4OzzPMv', amount_paid: 2000 } },
        }),
    // Stripe's envelope: event type and id are the payload's `type` and `id`.
    meta: ({ id }) => ({ event_type: 'invoice.paid', event_id: id }),
};

// Shopify: @shopify/shopify-api needs Node 22, eight runtime dependencies, and a whole app
// configuration (API key, scopes, host, runtime adapter) before it validates a webhook, so
// Shopify is signed and checked with node:crypto as Shopify's documentation shows:
// X-Shopify-Hmac-Sha256 is the base64 HMAC-SHA256 of the raw body with the app's secret.
const shopify = {
    key: 'shopify',
    scheme: 'shopify',
    library: 'node:crypto (Shopify docs)',
    timestamped: false,
    sign({ body, secret, id }) {
        return {
            'Content-Type': 'application/json',
            'X-Shopify-Topic': 'orders/create',
            'X-Shopify-Hmac-Sha256': hmac('sha256', secret, body).digest('base64'),
            'X-Shopify-Shop-Domain': 'interop-test.myshopify.com',
            'X-Shopify-API-Version': '2025-07',
            'X-Shopify-Webhook-Id': id,
            'X-Shopify-Event-Id': this.eventIds.get(id),
            'X-Shopify-Triggered-At': new Date().toISOString(),
        };
    },
    verify({ body, headers, secret }) {
        const expected = hmac('sha256', secret, body).digest('base64');
        return sameText(expected, headers['X-Shopify-Hmac-Sha256'])
            ? null
            : 'HMAC does not match';
    },
    // X-Shopify-Event-Id names the event (the same on every webhook of one event); the
    // delivery's id is X-Shopify-Webhook-Id. Each webhook id gets its own event id here.
    eventIds: new Map(),
    newId() {
        const id = crypto.randomUUID();
        this.eventIds.set(id, crypto.randomUUID());
        return id;
    },
    // The order id is far beyond 2^53 (an exact double cannot hold it): it stays text here.
    body: () =>
        '{"id":820982911946154500,"email":"jon@example.com","created_at":' +
        `"${new Date().toISOString()}","total_price":"20.00","currency":"USD",` +
        '"line_items":[{"id":466157049,"title":"IPod Nano - 8gb","quantity":1}]}',
    // Event type from X-Shopify-Topic, event id from X-Shopify-Webhook-Id (not the order id
    // in the body, and not X-Shopify-Event-Id).
    meta: ({ id }) => ({ event_type: 'orders/create', event_id: id }),
};

// Slack: no small official verifier (@slack/bolt brings Express and the Web API client), so
// Slack is signed and checked with node:crypto following Slack's "Verifying requests from
// Slack": X-Slack-Signature "v0=" + hex HMAC-SHA256 of "v0:<timestamp>:<raw body>", and a
// request whose X-Slack-Request-Timestamp is more than five minutes from now (either way) is
// ignored.
const slack = {
    key: 'slack',
    scheme: 'slack',
    library: 'node:crypto (Slack docs)',
    timestamped: true,
    futureRejected: true,
    sign({ body, secret, timestamp }) {
        const basestring = `v0:${timestamp}:${body}`;
        return {
            'Content-Type': body.startsWith('{')
                ? 'application/json'
                : 'application/x-www-form-urlencoded',
            'X-Slack-Request-Timestamp': String(timestamp),
            'X-Slack-Signature': `v0=${hmac('sha256', secret, basestring).digest('hex')}`,
        };
    },
    verify({ body, headers, secret }) {
        const timestamp = Number(headers['X-Slack-Request-Timestamp']);
        if (Math.abs(now() - timestamp) > 60 * 5)
            return 'timestamp more than five minutes from now';
        const basestring = `v0:${timestamp}:${body}`;
        const expected = `v0=${hmac('sha256', secret, basestring).digest('hex')}`;
        return sameText(expected, headers['X-Slack-Signature']) ? null : 'signature mismatch';
    },
    newId: () => `Ev${randomToken(9).toUpperCase()}`,
    // A slash command, form-encoded, as in Slack's own example.
    body: () =>
        'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow' +
        '&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner' +
        '&command=%2Fwebhook-collect&text=&trigger_id=398738663015.47445629121.803a0bc887a1',
};

// HostedHooks: no library is published; signed and checked with node:crypto as HostedHooks'
// documentation shows: HostedHooks-Signature "t=<ts>,s=<hex>", the hex HMAC-SHA256 of
// "<t>.<body>". No tolerance is published (a receiver "can choose to" reject old timestamps);
// here old ones are refused after 300 s, HookScope's default.
const hostedhooks = {
    key: 'hostedhooks',
    scheme: 'hostedhooks',
    library: 'node:crypto (HostedHooks docs)',
    timestamped: true,
    futureRejected: false, // nothing is published about timestamps ahead of the clock
    sign({ body, secret, timestamp }) {
        const signature = hmac('sha256', secret, `${timestamp}.${body}`).digest('hex');
        return {
            'Content-Type': 'application/json',
            'HostedHooks-Signature': `t=${timestamp},s=${signature}`,
        };
    },
    verify({ body, headers, secret }) {
        const fields = Object.fromEntries(
            headers['HostedHooks-Signature'].split(',').map((part) => {
                const at = part.indexOf('=');
                return [part.slice(0, at), part.slice(at + 1)];
            }),
        );
        const expected = hmac('sha256', secret, `${fields.t}.${body}`).digest('hex');
        if (!sameText(expected, fields.s ?? ''))
            return 'signature mismatch';
        if (now() - Number(fields.t) > TOLERANCE)
            return 'timestamp older than 300 s';
        return null;
    },
    newId: () => `evt_${randomToken(16)}`,
    body: (id) =>
        JSON.stringify({
            event_type: 'subscriber.created',
            event_id: id,
            data: { id: 'sub_interop_1', email: 'subscriber@example.com' },
        }),
    // The HostedHooks envelope: event_type and event_id in the payload.
    meta: ({ id }) => ({ event_type: 'subscriber.created', event_id: id }),
};

const PROVIDERS = [hostedhooks, standardWebhooks, svixProvider, stripeProvider, github, shopify,
    slack];

// ---------------------------------------------------------------------------------------------
// Self-check: the libraries (and the node:crypto recipes) reproduce the published vectors, so
// that "the library accepts" means what the provider's documentation means.
// ---------------------------------------------------------------------------------------------

async function selfCheck() {
    const checks = [
        [
            'standardwebhooks sign (standard-webhooks go test vector)',
            new StandardWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw').sign(
                'msg_p5jXN8AQM9LWM0D4loKWxJek',
                new Date(1614265330 * 1000),
                '{"test": 2432232314}',
            ),
            'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
        ],
        [
            'svix sign (same vector)',
            new SvixWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw').sign(
                'msg_p5jXN8AQM9LWM0D4loKWxJek',
                new Date(1614265330 * 1000),
                '{"test": 2432232314}',
            ),
            'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
        ],
        [
            'stripe generateTestHeaderString',
            Stripe.webhooks.generateTestHeaderString({
                payload: '{"id":"evt_test_webhook","object":"event"}',
                secret: 'whsec_test_secret',
                timestamp: 1492774577,
            }),
            't=1492774577,v1=88a022085c6bdb887b02cb26ff76dd681234d9675c0f22844059f55552a8883a',
        ],
        [
            'octokit sign (GitHub docs vector)',
            await octokitSign("It's a Secret to Everybody", 'Hello, World!'),
            'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
        ],
        [
            'Shopify recipe',
            shopify.sign.call(shopify, { body: '{"id":1}', secret: 'shop-secret', id: 'x' })[
                'X-Shopify-Hmac-Sha256'
            ],
            'plW8VGqq0nDMIEhDqaNNW99asdUCy7EIqLZVcQwtAZ0=',
        ],
        [
            'Slack recipe (Slack docs vector)',
            slack.sign({
                body:
                    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow' +
                    '&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA' +
                    '&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=' +
                    'https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F' +
                    '96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.' +
                    '803a0bc887a14d10d2c447fce8b6703c',
                secret: '8f742231b10e8888abcd99yyyzzz85a5',
                timestamp: 1531420618,
            })['X-Slack-Signature'],
            'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
        ],
    ];
    for (const [what, got, want] of checks) {
        if (got !== want)
            throw new HarnessError(`self-check failed: ${what} gives ${got}, expected ${want}`);
    }
}

// ---------------------------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------------------------

// A delivery as sent: where, the exact headers and body, what HookScope must say when the
// library rejects it (`rejectAs`: a verdict, or null for "anything but valid"), and the
// library's own verdict (null = accepted, else its reason). A case with a `note` is a known,
// deliberate difference between HookScope and the library: it is shown, and explained, but
// does not fail the test.
function makeCase(name, provider, endpoint, request, extra = {}) {
    return {
        name,
        provider,
        endpoint,
        id: request.id,
        headers: request.headers,
        body: Buffer.from(request.sent ?? request.body, 'utf8'),
        rejectAs: 'rejectAs' in extra ? extra.rejectAs : 'invalid',
        libraryVerdict: undefined,
        meta: extra.meta,
        note: extra.note,
    };
}

// An attacker's (or a proxy's) change to a signed body: one more field, or one more
// form parameter.
const tamper = (body) =>
    body.endsWith('}') ? `${body.slice(0, -1)},"admin":true}` : `${body}&admin=true`;

// A body with multi-byte UTF-8 (two-, three- and four-byte sequences), sent as raw UTF-8.
// Slack's form bodies would percent-encode it, so for Slack it is an Events API callback,
// which is JSON.
const UNICODE_TEXT = 'Zoë Ångström — 東京 ✓ 🚀';
function unicodeBody(provider, id) {
    if (provider === slack) {
        return JSON.stringify({
            token: 'xyzz0WbapA4vBCDEFasx0q6G',
            team_id: 'T1DC2JH3J',
            type: 'event_callback',
            event: { type: 'message', channel: 'G8PSS9T3V', text: UNICODE_TEXT },
            event_id: id,
            event_time: now(),
        });
    }
    const body = provider.body(id);
    return `${body.slice(0, -1)},"note":${JSON.stringify(UNICODE_TEXT)}}`;
}

async function buildCases() {
    const cases = [];
    for (const p of PROVIDERS) {
        const endpoint = `/hooks/${p.scheme}`;
        const secret = SECRETS[p.key];
        const signed = async (fields) => {
            const id = fields.id ?? p.newId();
            const request = {
                id,
                body: fields.body ?? p.body(id),
                secret: fields.secret ?? secret,
                timestamp: fields.timestamp ?? now(),
            };
            request.headers = await p.sign.call(p, request);
            return request;
        };

        // Valid: signed with the endpoint's secret, now. Also carries the metadata checks.
        const valid = await signed({});
        cases.push(makeCase(`${p.scheme}: valid`, p, endpoint, valid, {
            meta: p.meta ? p.meta(valid) : undefined,
        }));

        // Valid, with a body of multi-byte UTF-8: the signature is over the exact bytes.
        const utf8Id = p.newId();
        const utf8 = await signed({ id: utf8Id, body: unicodeBody(p, utf8Id) });
        cases.push(makeCase(`${p.scheme}: valid, non-ASCII body`, p, endpoint, utf8));

        // Tampered: signed over one body, another one sent.
        const tampered = await signed({});
        tampered.sent = tamper(tampered.body);
        cases.push(makeCase(`${p.scheme}: tampered body`, p, endpoint, tampered));

        // Wrong secret: the sender signs with a secret the endpoint does not hold.
        const wrong = await signed({ secret: WRONG_SECRETS[p.key] });
        cases.push(makeCase(`${p.scheme}: wrong secret`, p, endpoint, wrong));

        if (p.timestamped) {
            // Stale: a good signature over a timestamp an hour old (a replay, a late retry).
            const stale = await signed({ timestamp: now() - 3600 });
            cases.push(makeCase(`${p.scheme}: stale timestamp`, p, endpoint, stale, {
                rejectAs: 'stale',
            }));
        }
        if (p.futureRejected) {
            // An hour ahead of the clock: refused by libraries that check both ways.
            const future = await signed({ timestamp: now() + 3600 });
            cases.push(makeCase(`${p.scheme}: future timestamp`, p, endpoint, future, {
                rejectAs: 'stale',
            }));
        }
        if (p === stripeProvider) {
            // Stripe's library accepts a timestamp an hour ahead of the clock (it only refuses
            // old ones); HookScope applies the tolerance both ways and says `stale`.
            const future = await signed({ timestamp: now() + 3600 });
            cases.push(makeCase(`${p.scheme}: future timestamp`, p, endpoint, future, {
                note: 'stripe-node only refuses old timestamps; HookScope also refuses ' +
                    'timestamps more than 300 s ahead',
            }));
        }
        if (p.rotation) {
            // Secret rotation: the sender signs with the old and the new secret; one signature
            // matching is enough.
            const current = await signed({});
            const old = await p.sign.call(p, { ...current, secret: WRONG_SECRETS[p.key] });
            const name = Object.keys(current.headers).find((h) => /signature/i.test(h));
            current.headers[name] =
                p === stripeProvider
                    ? `${old[name]},${current.headers[name].replace(/^t=\d+,/, '')}`
                    : `${old[name]} ${current.headers[name]}`;
            cases.push(makeCase(`${p.scheme}: two signatures, one good`, p, endpoint, current));
        }

        // The `auto` endpoint holds every provider's secret and picks the scheme from the
        // headers: each provider's valid delivery must verify there too, and a tampered one
        // must not.
        const autoValid = await signed({});
        cases.push(makeCase(`auto: ${p.scheme} valid`, p, '/hooks/auto', autoValid));
        const autoTampered = await signed({});
        autoTampered.sent = tamper(autoTampered.body);
        cases.push(makeCase(`auto: ${p.scheme} tampered`, p, '/hooks/auto', autoTampered));
    }

    // Svix's library reads the svix-* headers and falls back to the webhook-* ones (the
    // Standard Webhooks names), so a delivery signed by `standardwebhooks` with the Svix
    // endpoint's secret is one that svix accepts. Whether svix does is asked below (the case's
    // library verdict comes from svix's verify), and HookScope must say `valid` only if it
    // does.
    {
        const id = svixProvider.newId();
        const request = { id, body: svixProvider.body(id), timestamp: now() };
        request.headers = standardWebhooksHeaders(SECRETS.svix, request, 'webhook');
        cases.push(makeCase('svix: webhook-* headers (signed by standardwebhooks)',
            svixProvider, '/hooks/svix', request, {
                rejectAs: null,
                meta: { event_type: 'invoice.paid', event_id: id },
            }));
    }
    // The other way round: the `standardwebhooks` library only reads webhook-* headers, so it
    // refuses a delivery that only carries svix-* ones. HookScope's standard-webhooks endpoints
    // may accept the svix-* family too (same scheme, Svix's names), which is noted, not failed.
    {
        const id = svixProvider.newId();
        const request = { id, body: svixProvider.body(id), timestamp: now() };
        request.headers = standardWebhooksHeaders(SECRETS.standardWebhooks, request, 'svix');
        cases.push(makeCase('standard-webhooks: svix-* headers only', standardWebhooks,
            '/hooks/standard-webhooks', request, {
                rejectAs: null,
                note: 'the standardwebhooks library reads only webhook-* headers; HookScope ' +
                    'also reads svix-* ones on a standard-webhooks endpoint',
            }));
    }

    // The library's own verdict on each delivery, with the secret the endpoint holds.
    for (const c of cases) {
        c.libraryVerdict = await c.provider.verify.call(c.provider, {
            body: c.body.toString('utf8'),
            headers: c.headers,
            secret: SECRETS[c.provider.key],
        });
    }
    return cases;
}

// ---------------------------------------------------------------------------------------------
// HookScope: endpoints, serve, sending
// ---------------------------------------------------------------------------------------------

function addEndpoints() {
    for (const p of PROVIDERS) {
        hookscope('endpoint', 'add', p.scheme, '--path', `/hooks/${p.scheme}`,
            '--scheme', p.scheme, '--secret-env', secretVar(p.key));
    }
    const secretOptions = PROVIDERS.flatMap((p) => ['--secret-env', secretVar(p.key)]);
    hookscope('endpoint', 'add', 'auto', '--path', '/hooks/auto', '--scheme', 'auto',
        ...secretOptions);
}

// Starts `hookscope serve` on a free port; resolves to {child, port, output}.
function startServe() {
    return new Promise((resolve, reject) => {
        const child = spawn(binary, ['serve', '--listen', '127.0.0.1:0', '--db', db], {
            env,
            stdio: ['ignore', 'pipe', 'pipe'],
        });
        const output = { stdout: '', stderr: '' };
        const timer = setTimeout(() => {
            child.kill('SIGKILL');
            reject(new HarnessError(`serve printed no address within 15 s\n${output.stderr}`));
        }, 15_000);
        child.stderr.on('data', (chunk) => (output.stderr += chunk));
        child.stdout.on('data', (chunk) => {
            output.stdout += chunk;
            const match = /^listening on http:\/\/127\.0\.0\.1:(\d+)\r?\n/.exec(output.stdout);
            if (match) {
                clearTimeout(timer);
                resolve({ child, port: Number(match[1]), output });
            } else if (output.stdout.includes('\n')) {
                clearTimeout(timer);
                child.kill('SIGKILL');
                reject(new HarnessError(`unexpected first line from serve: ${output.stdout}`));
            }
        });
        child.on('error', (error) => reject(new HarnessError(`cannot run serve: ${error}`)));
        child.on('exit', (code, signal) => {
            clearTimeout(timer);
            reject(new HarnessError(`serve exited (${code ?? signal})\n${output.stderr}`));
        });
    });
}

// Stops serve with SIGTERM, as an operator would; resolves once it has exited.
function stopServe({ child, output }) {
    return new Promise((resolve, reject) => {
        if (child.exitCode !== null || child.signalCode !== null) {
            reject(new HarnessError(`serve died early\n${output.stderr}`));
            return;
        }
        const timer = setTimeout(() => {
            child.kill('SIGKILL');
            reject(new HarnessError('serve did not stop within 15 s of SIGTERM'));
        }, 15_000);
        child.removeAllListeners('exit');
        child.on('exit', (code, signal) => {
            clearTimeout(timer);
            if (code === 0)
                resolve();
            else
                reject(new HarnessError(`serve exited ${code ?? signal} on SIGTERM\n` +
                    output.stderr));
        });
        child.kill('SIGTERM');
    });
}

// POSTs the exact bytes; resolves to the HTTP status and the delivery id HookScope gives in
// X-HookScope-Delivery.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function post(port, c) {
    return new Promise((resolve, reject) => {
        const request = http.request(
            {
                host: '127.0.0.1',
                port,
                method: 'POST',
                path: c.endpoint,
                agent,
                headers: { ...c.headers, 'Content-Length': String(c.body.length) },
            },
            (response) => {
                response.resume();
                response.on('end', () =>
                    resolve({
                        status: response.statusCode,
                        delivery: Number(response.headers['x-hookscope-delivery']),
                    }),
                );
            },
        );
        request.setTimeout(10_000, () => request.destroy(new Error('no answer within 10 s')));
        request.on('error', (error) =>
            reject(new HarnessError(`${c.name}: POST ${c.endpoint} failed: ${error.message}`)),
        );
        request.end(c.body);
    });
}

// ---------------------------------------------------------------------------------------------
// Comparing
// ---------------------------------------------------------------------------------------------

function table(header, rows) {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd();
    console.log(line(header));
    console.log(line(widths.map((w) => '-'.repeat(w))));
    for (const row of rows)
        console.log(line(row));
}

const clip = (text, n) => (text.length > n ? `${text.slice(0, n - 3)}...` : text);

function compare(cases, listed) {
    const byId = new Map(listed.map((d) => [d.id, d]));
    const problems = [];
    const notes = [];

    // Verdicts: `valid` exactly when the library accepts; where it refuses, the reason.
    const verdictRows = [];
    for (const c of cases) {
        const row = byId.get(c.delivery);
        const verdict = row ? row.verdict : '(not stored)';
        const accepted = c.libraryVerdict === null;
        const agrees = accepted
            ? verdict === 'valid'
            : c.rejectAs === null
              ? verdict !== 'valid' && row !== undefined
              : verdict === c.rejectAs;
        const wanted = accepted ? 'valid' : (c.rejectAs ?? 'not valid');
        let sizeNote = '';
        if (row && row.body_size !== c.body.length) {
            sizeNote = ` (stored ${row.body_size} bytes of ${c.body.length})`;
            problems.push(`${c.name}: body_size ${row.body_size}, sent ${c.body.length} bytes`);
        }
        const difference = `${c.name}: library ${accepted ? 'accepts' : 'rejects'}, ` +
            `HookScope says ${verdict} (expected ${wanted})`;
        let result = 'ok';
        if (!agrees && c.note && row) {
            notes.push(`${difference}: ${c.note}`);
            result = 'noted';
        } else if (!agrees) {
            problems.push(difference);
            result = 'DISAGREE';
            c.explain = true;
        }
        if (sizeNote)
            result = 'DISAGREE';
        verdictRows.push([
            c.name,
            c.provider.library,
            accepted ? 'accepts' : `rejects: ${clip(c.libraryVerdict, 40)}`,
            verdict + sizeNote,
            result,
        ]);
    }
    table(['case', 'library', 'library verdict', 'HookScope', 'result'], verdictRows);

    // Event metadata: event_type and event_id as the provider defines them.
    console.log('');
    const metaRows = [];
    for (const c of cases.filter((c) => c.meta)) {
        const row = byId.get(c.delivery) ?? {};
        for (const field of ['event_type', 'event_id']) {
            const got = row[field] ?? '(not stored)';
            const ok = got === c.meta[field];
            if (!ok)
                problems.push(`${c.name}: ${field} is "${got}", expected "${c.meta[field]}"`);
            metaRows.push([c.name, field, c.meta[field], got === '' ? '(empty)' : got,
                ok ? 'ok' : 'DISAGREE']);
        }
    }
    table(['case', 'field', 'expected', 'HookScope', 'result'], metaRows);

    if (notes.length > 0) {
        console.log('\nKnown differences (not failures):');
        for (const note of notes)
            console.log(`  ${note}`);
    }
    return problems;
}

// The non-ASCII bodies, read back with `show`: stored byte for byte.
function checkStoredBodies(cases) {
    const problems = [];
    for (const c of cases.filter((c) => c.name.includes('non-ASCII'))) {
        const shown = JSON.parse(hookscope('show', String(c.delivery), '--json'));
        if (shown.body !== c.body.toString('utf8'))
            problems.push(`${c.name}: show --json gives a different body: ` +
                JSON.stringify(clip(String(shown.body), 80)));
    }
    return problems;
}

// For each case whose verdict disagrees, HookScope's own explanation, from `show`.
function explain(cases, listed) {
    const ids = new Set(listed.map((d) => d.id));
    for (const c of cases) {
        if (!c.explain || !ids.has(c.delivery))
            continue;
        const shown = JSON.parse(hookscope('show', String(c.delivery), '--json'));
        const v = shown.verification ?? {};
        const reason = [v.reason, v.diagnosis].filter(Boolean).join(' ');
        console.log(`  ${c.name} (delivery ${c.delivery}): ${v.verdict} [${v.scheme}] ${reason}`);
    }
}

// ---------------------------------------------------------------------------------------------

async function main() {
    const started = Date.now();
    fs.mkdirSync(scratch, { recursive: true });
    for (const suffix of ['', '-wal', '-shm', '-journal'])
        fs.rmSync(db + suffix, { force: true });

    await selfCheck();
    addEndpoints();
    const cases = await buildCases();

    const serve = await startServe();
    try {
        for (const c of cases) {
            const answer = await post(serve.port, c);
            if (!Number.isInteger(answer.delivery) || answer.delivery <= 0)
                throw new HarnessError(`${c.name}: no X-HookScope-Delivery in the answer ` +
                    `(status ${answer.status})`);
            c.delivery = answer.delivery;
        }
    } finally {
        agent.destroy();
        await stopServe(serve);
    }

    const listed = JSON.parse(hookscope('deliveries', '--json', '--limit',
        String(cases.length + 50)));
    console.log(`${cases.length} deliveries sent to ${binary}\n`);
    const problems = [...compare(cases, listed), ...checkStoredBodies(cases)];

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (problems.length === 0) {
        console.log(`\nHookScope agrees with every library on every case (${seconds} s).`);
        return 0;
    }
    console.log(`\n${problems.length} disagreement(s) (${seconds} s):`);
    for (const problem of problems)
        console.log(`  ${problem}`);
    if (cases.some((c) => c.explain)) {
        console.log('\nHookScope\'s reasons for the verdicts, from `hookscope show`:');
        explain(cases, listed);
    }
    return 1;
}

main().then(
    (status) => process.exit(status),
    (error) => {
        console.error(error instanceof HarnessError ? `interop: ${error.message}` : error);
        process.exit(2);
    },
);
