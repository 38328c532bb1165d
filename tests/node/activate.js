#!/usr/bin/env node
// activate.js: a Marble API client written only from proto/coordinator.proto, for black-box
// tests of the Coordinator's rpc.Marble/Activate (tests/e2e/marble_api_test.cpp).
//
//   node activate.js --addr 127.0.0.1:2001 --type backend --uuid <uuid>
//                    [--cert cert.pem --key key.pem] [--csr csr.der] [--quote quote.bin]
//                    [--count N] [--tls-info] [--timeout-ms 30000] [--proto coordinator.proto]
//
// Like a Marble (upstream premain), it does not verify the Coordinator's certificate
// (InsecureSkipVerify) and presents --cert/--key as its client certificate; without them it
// connects with no client certificate (the handshake must then fail). --csr and --quote name
// files whose raw bytes become ActivationReq.CSR and .Quote.
//
// Prints one JSON line on stdout:
//   --count 1 (default): {"code":0,"details":"","parameters":{"Files":{"<path>":"<base64>"},
//                         "Env":{"<name>":"<base64>"},"Argv":["..."]}}   (parameters null on error)
//   --count N > 1: N calls at once on one channel: {"results":[{"code":..,"details":".."},...]}
//   --tls-info adds "tls":{"server_cert":"<base64 DER>","alpn":"h2","protocol":"TLSv1.3"} from
//   a separate TLS handshake made with the same client certificate.
// Exit status 0 when the calls were made (their outcome is in the JSON), 2 for usage errors.
'use strict';

// grpc-js sets the TLS server name to the target host, which Node flags as deprecated for IP
// addresses; keep stderr for real errors.
process.noDeprecation = true;

const fs = require('fs');
const net = require('net');
const path = require('path');
const tls = require('tls');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

function usage(message) {
  process.stderr.write(`activate.js: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = {
    proto: path.join(__dirname, '..', '..', 'proto', 'coordinator.proto'),
    count: 1,
    timeoutMs: 30000,
    tlsInfo: false,
    uuid: '',
    type: '',
  };
  const valued = {
    '--addr': 'addr', '--cert': 'cert', '--key': 'key', '--csr': 'csr', '--quote': 'quote',
    '--type': 'type', '--uuid': 'uuid', '--count': 'count', '--timeout-ms': 'timeoutMs',
    '--proto': 'proto',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--tls-info') {
      opts.tlsInfo = true;
    } else if (arg in valued) {
      if (i + 1 >= argv.length) usage(`${arg} needs a value`);
      opts[valued[arg]] = argv[++i];
    } else {
      usage(`unknown argument ${arg}`);
    }
  }
  if (!opts.addr) usage('--addr is required');
  if (Boolean(opts.cert) !== Boolean(opts.key)) usage('--cert and --key go together');
  opts.count = Number(opts.count);
  opts.timeoutMs = Number(opts.timeoutMs);
  if (!Number.isInteger(opts.count) || opts.count < 1) usage('--count must be a positive integer');
  if (!Number.isInteger(opts.timeoutMs) || opts.timeoutMs < 1) usage('--timeout-ms must be positive');
  return opts;
}

function readOptional(file) {
  return file ? fs.readFileSync(file) : Buffer.alloc(0);
}

function encodeMap(map) {
  const out = {};
  for (const [k, v] of Object.entries(map || {})) out[k] = Buffer.from(v).toString('base64');
  return out;
}

// tlsInfo makes one TLS handshake the way the gRPC client does (ALPN h2, client certificate,
// no server verification) and reports what the server presented.
function tlsInfo(opts, key, cert) {
  const sep = opts.addr.lastIndexOf(':');
  const host = opts.addr.slice(0, sep).replace(/^\[|\]$/g, '');
  const port = Number(opts.addr.slice(sep + 1));
  return new Promise((resolve) => {
    const socket = tls.connect({
      host, port, key: key || undefined, cert: cert || undefined, ALPNProtocols: ['h2'],
      rejectUnauthorized: false, servername: net.isIP(host) ? undefined : host,
    }, () => {
      const peer = socket.getPeerCertificate(false);
      resolve({
        server_cert: peer && peer.raw ? peer.raw.toString('base64') : null,
        alpn: socket.alpnProtocol || null,
        protocol: socket.getProtocol(),
      });
      socket.end();
    });
    socket.setTimeout(opts.timeoutMs, () => socket.destroy(new Error('timeout')));
    socket.on('error', (e) => resolve({error: e.message}));
  });
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const definition = protoLoader.loadSync(opts.proto, {
    keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
  });
  const rpc = grpc.loadPackageDefinition(definition).rpc;
  const key = opts.key ? fs.readFileSync(opts.key) : null;
  const cert = opts.cert ? fs.readFileSync(opts.cert) : null;
  const creds = grpc.credentials.createSsl(null, key, cert, {
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  });
  const client = new rpc.Marble(opts.addr, creds);
  const request = {
    Quote: readOptional(opts.quote),
    CSR: readOptional(opts.csr),
    MarbleType: opts.type,
    UUID: opts.uuid,
  };

  const activate = () => new Promise((resolve) => {
    client.Activate(request, {deadline: Date.now() + opts.timeoutMs}, (err, resp) => {
      if (err) {
        resolve({code: err.code, details: err.details || '', parameters: null});
        return;
      }
      const p = resp.Parameters || {};
      resolve({
        code: 0,
        details: '',
        parameters: {Files: encodeMap(p.Files), Env: encodeMap(p.Env), Argv: p.Argv || []},
      });
    });
  });

  let out;
  if (opts.count === 1) {
    out = await activate();
  } else {
    const results = await Promise.all(Array.from({length: opts.count}, activate));
    out = {results: results.map(({code, details}) => ({code, details}))};
  }
  if (opts.tlsInfo) out.tls = await tlsInfo(opts, key, cert);
  client.close();
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  process.stderr.write(`activate.js: ${e.stack || e}\n`);
  process.exit(1);
});
