#!/usr/bin/env python3
"""authlab's Ed25519 access tokens (RFC 9864), read and written by an independent JOSE library: joserfc.

jsonwebtoken, which authlab builds on, has no "Ed25519" algorithm; authlab signs and verifies it
with aws-lc-rs. tests/it/interop.rs runs this script against real authlab token nodes to show that
another implementation agrees:

  verify  checks a token an authlab node issued, with the key joserfc imports from the node's
          published JWK Set (the key's own "alg", never the token's header, picks the algorithm),
          and checks iss, aud, sub, exp, nbf and iat with joserfc's claims registry.
          Prints {"alg", "kid", "claims"} as JSON.
  mint    signs an access token with joserfc, with the private key of the node's key file (or,
          with --wrong-key, a fresh key of the same type under the same kid), carrying every
          claim authlab requires; --fractional-exp makes exp a non-integer NumericDate.
          Prints the token.

Needs `pip install joserfc`. Exit status 3 means joserfc is missing.
"""

import argparse
import json
import sys
import time
import urllib.request
import uuid

try:
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet, OKPKey, import_key
except ImportError as missing:  # the Rust test turns this into a loud skip (or a failure in CI)
    print(f"interop_joserfc.py: {missing}; install with: pip install joserfc", file=sys.stderr)
    sys.exit(3)

ACCESS_TOKEN_TYPE = "at+jwt"


def key_file_jwk(path, kid=None):
    """The private JWK with this kid in an authlab key file (default: the first, which signs)."""
    with open(path, encoding="utf-8") as f:
        keys = json.load(f)["keys"]
    for jwk in keys:
        if kid is None or jwk["kid"] == kid:
            return jwk
    raise SystemExit(f"interop_joserfc.py: no key {kid!r} in {path}")


def unverified_header(token):
    import base64

    part = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def verify(args):
    header = unverified_header(args.token)
    if header.get("typ", "").lower() not in (ACCESS_TOKEN_TYPE, "application/" + ACCESS_TOKEN_TYPE):
        raise SystemExit(f"interop_joserfc.py: typ is {header.get('typ')!r}, not {ACCESS_TOKEN_TYPE}")
    # Loopback only, never through a proxy.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(args.jwks_url, timeout=5) as response:
        jwks = json.load(response)
    published = next((k for k in jwks["keys"] if k.get("kid") == header.get("kid")), None)
    if published is None:
        raise SystemExit(f"interop_joserfc.py: kid {header.get('kid')!r} is not in the JWK Set")
    key = KeySet.import_key_set({"keys": [published]}).get_by_kid(published["kid"])
    algorithm = published["alg"]
    token = jwt.decode(args.token, key, algorithms=[algorithm])
    if token.header.get("alg") != algorithm:
        raise SystemExit(f"interop_joserfc.py: the header says {token.header.get('alg')!r}, the key {algorithm!r}")
    registry = jwt.JWTClaimsRegistry(
        leeway=5,
        iss={"essential": True, "value": args.issuer},
        aud={"essential": True, "value": args.audience},
        sub={"essential": True},
        exp={"essential": True},
    )
    registry.validate(token.claims)
    print(json.dumps({"alg": algorithm, "kid": published["kid"], "claims": token.claims}))


def mint(args):
    jwk = key_file_jwk(args.key_file, args.kid)
    if args.wrong_key:
        key = OKPKey.generate_key(jwk.get("crv", "Ed25519"), parameters={"kid": jwk["kid"]})
    else:
        key = import_key(jwk)
    now = time.time() if args.fractional_exp else int(time.time())
    exp = now + args.ttl
    claims = {
        "sub": args.sub,
        "iss": args.issuer,
        "aud": args.audience,
        "exp": exp + 0.5 if args.fractional_exp else exp,
        "iat": now,
        "nbf": now,
        "jti": uuid.uuid4().hex,
        "scope": args.scope,
    }
    header = {"alg": jwk["alg"], "kid": jwk["kid"], "typ": ACCESS_TOKEN_TYPE}
    print(jwt.encode(header, claims, key, algorithms=[jwk["alg"]]))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    v = commands.add_parser("verify", help="verify an authlab access token with joserfc")
    v.add_argument("--token", required=True)
    v.add_argument("--issuer", default="authlab")
    v.add_argument("--audience", default="authlab-api")
    v.add_argument("--jwks-url", required=True, help="the node's /.well-known/jwks.json")
    v.set_defaults(run=verify)

    m = commands.add_parser("mint", help="sign an access token with joserfc")
    m.add_argument("--key-file", required=True, help="the JWK Set file the node was started with (--keys)")
    m.add_argument("--kid", help="which key of the file (default: the first)")
    m.add_argument("--sub", required=True)
    m.add_argument("--issuer", default="authlab")
    m.add_argument("--audience", default="authlab-api")
    m.add_argument("--scope", default="profile:read")
    m.add_argument("--ttl", type=int, default=300, help="seconds until exp")
    m.add_argument("--fractional-exp", action="store_true", help="exp, iat and nbf with a fraction of a second")
    m.add_argument("--wrong-key", action="store_true", help="sign with a fresh key of the same type instead")
    m.set_defaults(run=mint)

    args = parser.parse_args()
    try:
        args.run(args)
    except JoseError as e:
        print(f"interop_joserfc.py: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
