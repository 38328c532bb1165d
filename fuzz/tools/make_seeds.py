#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/ from the project's samples and test data.

Run from the repository root: python3 fuzz/tools/make_seeds.py. Seeds are small and committed;
rerun when the samples or test data change. Needs the openssl command for the CSR seeds.
"""
import base64
import hashlib
import json
import os
import re
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "fuzz", "corpus")


def read(rel, mode="r"):
    with open(os.path.join(ROOT, rel), mode) as f:
        return f.read()


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def b(n):
    return bytes([n])


samples = {name: read("samples/" + name) for name in ("full.json", "minimal.json", "multi-party.json")}
samples["demo.json"] = read("samples/demo/manifest.json")

# manifest
for text in samples.values():
    put("manifest", text)
put("manifest", '{"Packages":{"p":{"Debug":true}},"Marbles":{"m":{"Package":"p","Parameters":'
    '{"Files":{"/f":"{{ range $i := .Secrets }}{{ $i }}{{ end }}"},"Env":{"E":"{{ hex .Secrets.k.Private }}"},'
    '"Argv":["a"]}}},"Secrets":{"k":{"Type":"symmetric-key","Size":128}}}')
put("manifest", '{"Packages":{}}')
put("manifest", "[" * 70 + "]" * 70)

# gotemplate: the manifests' templates and the engine's test strings
templates = set()
for text in samples.values():
    m = json.loads(text)
    for marble in (m.get("Marbles") or {}).values():
        params = marble.get("Parameters") or {}
        for kind in ("Files", "Env"):
            for v in (params.get(kind) or {}).values():
                s = v if isinstance(v, str) else (v.get("Data") or "")
                if "{{" in s:
                    templates.add(s)
for rel in ("src/gotemplate/test/exec_test.cpp", "src/gotemplate/test/parse_test.cpp"):
    for s in re.findall(r'"([^"\\]*\{\{[^"\\]*\}\}[^"\\]*)"', read(rel)):
        templates.add(s)
for s in ('{{ pem .MarbleRun.RootCA.Cert }}{{ pem .MarbleRun.MarbleCert.Private }}',
          '{{ base64 .Secrets.apiToken }}{{ raw .Secrets.apiToken }}{{ hex .Secrets.sessionKey }}',
          '{{ string .Secrets.apiToken }}{{ printf "%q %x %v" .Secrets.sessionKey.Private 1 .Previous }}',
          '{{define "a"}}{{template "a" .}}{{end}}{{template "a" .}}',
          '{{range $k, $v := .Secrets}}{{$k}}={{pem $v.Public}}{{end}}'):
    templates.add(s)
for i, s in enumerate(sorted(templates)):
    put("gotemplate", b(i % 2) + s.encode())

# gojson
for text in samples.values():
    put("gojson", text)
for s in ('{"B":true,"S":"x","U":18446744073709551615,"U16":65535,"Opt":null,"I":-9223372036854775808}',
          '{"List":["a","b"],"OptList":[],"Bytes":"aGVsbG8=","Ints":[1,2,3]}',
          '{"Bytes":[1,2,255],"Children":{"a":{"S":"y","Items":[{"U":1},{"b":false}]}}}',
          '{"u":1.5,"U":1e3,"I":"x","s":"\\u00e9\\ud83d\\ude00","S":"\\u2028<>&"}',
          '[1, 2.5e-7, -0, 1e400, "x", null, true, {"a": [{}]}]',
          '"\\ud800"', '{"a":1,"a":2,"A":3}', "[" * 64 + "]" * 64, "[" * 65 + "]" * 65):
    put("gojson", s)

# dcap_quote
dcap = "tests/testdata/dcap/"
sgx_quote, tdx_quote = read(dcap + "sgx_quote", "rb"), read(dcap + "tdx_quote", "rb")
sgx_col, tdx_col = read(dcap + "sgx_quote_collateral.json"), read(dcap + "tdx_quote_collateral.json")
put("dcap_quote", b(0) + sgx_quote)
put("dcap_quote", b(1) + tdx_quote)
put("dcap_quote", b(2) + sgx_col.encode())
put("dcap_quote", b(3) + tdx_col.encode())

# dcap_collateral
for col in (json.loads(sgx_col), json.loads(tdx_col)):
    put("dcap_collateral", b(0) + col["tcb_info"].encode())
    put("dcap_collateral", b(1) + col["qe_identity"].encode())
    put("dcap_collateral", b(2) + ('{"tcbInfo":%s,"signature":"%s"}' % (col["tcb_info"], col["tcb_info_signature"])).encode())
    put("dcap_collateral", b(2) + ('{"enclaveIdentity":%s,"signature":"%s"}' % (col["qe_identity"], col["qe_identity_signature"])).encode())
    put("dcap_collateral", b(3) + col["pck_crl"].encode())
    put("dcap_collateral", b(3) + col["root_ca_crl"].encode())
    put("dcap_collateral", b(3) + col["pck_crl_issuer_chain"].encode())
    from urllib.parse import quote
    put("dcap_collateral", b(3) + quote(col["tcb_info_issuer_chain"]).encode())

# x509
def pem_blocks(text):
    return re.findall(r"-----BEGIN [A-Z ]+-----.*?-----END [A-Z ]+-----\n?", text, re.S)

for col in (json.loads(sgx_col), json.loads(tdx_col)):
    put("x509", b(0) + col["tcb_info_issuer_chain"].encode())
    for blk in pem_blocks(col["pck_crl_issuer_chain"]):
        body = "".join(blk.strip().splitlines()[1:-1])
        put("x509", b(1) + base64.b64decode(body))
    put("x509", b(2) + bytes.fromhex(col["pck_crl"]))
    put("x509", b(2) + bytes.fromhex(col["root_ca_crl"]))
for q in (sgx_quote, tdx_quote):
    start = q.find(b"-----BEGIN CERTIFICATE-----")
    end = q.rfind(b"-----END CERTIFICATE-----")
    chain = q[start:end + len("-----END CERTIFICATE-----") + 1]
    put("x509", b(0) + chain)
    body = "".join(pem_blocks(chain.decode(errors="replace"))[0].strip().splitlines()[1:-1])
    put("x509", b(1) + base64.b64decode(body))  # a PCK leaf with the SGX extension
for name in ("alice", "bob", "carol"):
    put("x509", b(0) + read("tests/testdata/keys/%s.cert.pem" % name).encode())
put("x509", b(1) + read(dcap + "TrustedRootCA.der", "rb"))

# csr (DER, as gRPC Activate carries it)
with tempfile.TemporaryDirectory() as tmp:
    for i, (alg, subj, san) in enumerate([
            (["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"], "/CN=marble", "DNS:localhost,IP:127.0.0.1"),
            (["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"], "/O=x/CN=backend", "DNS:a.example,URI:spiffe://x/y,email:a@b.c"),
            (["-newkey", "rsa:2048"], "/CN=rsa", None),
            (["-newkey", "ed25519"], "/CN=ed", "IP:::1")]):
        out = os.path.join(tmp, "%d.der" % i)
        cmd = ["openssl", "req", "-new", "-nodes", "-keyout", os.path.join(tmp, "k"), "-subj", subj, "-outform", "DER", "-out", out] + alg
        if san:
            cmd += ["-addext", "subjectAltName=" + san]
        subprocess.run(cmd, check=True, capture_output=True)
        put("csr", read(out, "rb") if os.path.isabs(out) is False else open(out, "rb").read())

# rest_body: route index (client_routes order), world (bit 0: running full.json; bit 1: bob)
ROUTES = ["GET /api/v2/status", "GET /api/v2/quote", "GET /api/v2/manifest", "POST /api/v2/manifest",
          "POST /api/v2/recover", "GET /api/v2/recover/public-key", "GET /status", "GET /quote",
          "GET /manifest", "POST /manifest", "POST /recover", "GET /api/v2/update", "POST /api/v2/update",
          "GET /api/v2/update-manifest", "POST /api/v2/update-manifest", "POST /api/v2/update-cancel",
          "GET /api/v2/secrets", "POST /api/v2/secrets", "GET /update", "POST /update",
          "GET /update-manifest", "POST /update-manifest", "POST /update-cancel", "GET /secrets",
          "POST /secrets"]
R = {r: i for i, r in enumerate(ROUTES)}
fresh, running, bob = 0, 1, 3
def rest(route, world, body):
    put("rest_body", b(R[route]) + b(world) + (body.encode() if isinstance(body, str) else body))

for text in (samples["minimal.json"], samples["full.json"]):
    rest("POST /api/v2/manifest", fresh, json.dumps({"manifest": base64.b64encode(text.encode()).decode()}))
    rest("POST /manifest", fresh, text)
rest("POST /api/v2/manifest", fresh, '{"x":' + "[" * 80 + "]" * 80 + ',"y":1}')
rest("POST /api/v2/recover", running, json.dumps({"recoverySecret": base64.b64encode(b"\x01" * 33).decode(),
                                                  "recoverySecretSignature": base64.b64encode(b"\x02" * 64).decode()}))
rest("POST /api/v2/recover", running, '{"recoverySecret":"' + base64.b64encode(b"\x03" * 512).decode() + '"}')
rest("POST /recover", running, "{}")
upd = json.dumps({"Packages": {"frontend": {"SecurityVersion": 4}}})
rest("POST /api/v2/update", running, json.dumps({"manifest": base64.b64encode(upd.encode()).decode()}))
rest("POST /update", running, upd)
rest("POST /api/v2/update", running, json.dumps({"manifest": base64.b64encode(json.dumps(
    {"Packages": {"frontend": {"SecurityVersion": 4, "AcceptedTCBStatuses": ["UpToDate"]}}}).encode()).decode()}))
full_upd = samples["full.json"].replace('"SecurityVersion": 3', '"SecurityVersion": 5')
rest("POST /api/v2/update-manifest", running, json.dumps({"manifest": base64.b64encode(full_upd.encode()).decode()}))
rest("POST /update-manifest", running, full_upd)
rest("POST /api/v2/update-cancel", running, "")
rest("POST /update-cancel", bob, "")
rest("POST /api/v2/secrets", running, json.dumps({"secrets": {"partnerKey": {"Key": base64.b64encode(b"k" * 16).decode()},
                                                              "apiToken": {"Key": "dG9rZW4="}}}))
rest("POST /secrets", running, json.dumps({"partnerCert": {"Cert": base64.b64encode(read(dcap + "TrustedRootCA.der", "rb")).decode(),
                                                            "Private": "AAAA"}}))
rest("POST /secrets", bob, json.dumps({"partnerCert": {"Cert": {"Subject": {"CommonName": "x"}}}}))
rest("GET /api/v2/secrets", running, "s=apiToken&s=sessionKey")
rest("GET /secrets", bob, "s=sessionKey&s=%zz&s=a;b")
rest("GET /api/v2/status", fresh, "")
rest("GET /api/v2/manifest", running, "")
rest("GET /api/v2/update", running, "")

# records: 0 secret, 1 package, 2 pending update, 3 recovery data, 4 user secrets
put("records", b(0) + b'{"Type":"symmetric-key","Size":128,"Shared":true,"UserDefined":false,"Cert":null,"ValidFor":0,"Private":"AAECAwQFBgcICQoLDA0ODw==","Public":"AAECAwQFBgcICQoLDA0ODw=="}')
put("records", b(0) + ('{"Type":"cert-ecdsa","Size":256,"Shared":false,"UserDefined":false,"Cert":"%s","ValidFor":365,"Private":null,"Public":null}'
                       % base64.b64encode(read(dcap + "TrustedRootCA.der", "rb")).decode()).encode())
put("records", b(0) + b'{"Type":"plain","UserDefined":true,"Cert":{"Subject":{"CommonName":"x","Organization":["o"]},"DNSNames":["a"],"IPAddresses":["127.0.0.1"]}}')
put("records", b(1) + b'{"Debug":false,"UniqueID":"","SignerID":"43361affedeb75affee9baec7e054a5e14883213e5a121b67d74a0e12e9d2b7a","ProductID":42,"SecurityVersion":3,"AcceptedTCBStatuses":["SWHardeningNeeded"],"AcceptedAdvisories":null}')
put("records", b(2) + ('{"manifestRaw":"%s","requiredUsers":{"alice":true,"bob":false},"missingAcknowledgments":1}'
                       % base64.b64encode(samples["minimal.json"].encode()).decode()).encode())
put("records", b(3) + b'{"' + hashlib.sha256(b"a").hexdigest().encode() + b'":true,"' + hashlib.sha256(b"b").hexdigest().encode() + b'":true}')
put("records", b(3) + b"null")
put("records", b(4) + b'{"k":{"Key":"AAAA"},"c":{"Cert":"!!notbase64","Private":"AAAA"},"t":{"Cert":{"Subject":{"CommonName":"x"}}}}')

# coordinator_config: first byte = build (bit 0 production); NAME=value lines and arguments
put("coordinator_config", b(0) + b"EDG_COORDINATOR_CLIENT_ADDR=127.0.0.1:9000\nEDG_COORDINATOR_MESH_ADDR=:2001\nEDG_COORDINATOR_DNS_NAMES=localhost,10.0.0.1\nOE_SIMULATION=1\nEDG_COORDINATOR_SEAL_DIR=/tmp/x")
put("coordinator_config", b(1) + b"--client-addr\n[::1]:443\n--log-level=debug\n--dns-names=a,b\nEDG_COORDINATOR_PROMETHEUS_ADDR=:9944")
put("coordinator_config", b(1) + b"OE_SIMULATION=1\nEDG_COORDINATOR_DEV_MODE=1\n--help")
put("coordinator_config", b(0) + b"EDG_COORDINATOR_CLIENT_ADR=x\n--unknown\nEDG_CWD=/srv\nEDG_COORDINATOR_PCCS_URL=http://localhost:8081\n--startup-manifest\n/m.json")
print("seeds written to", OUT)
