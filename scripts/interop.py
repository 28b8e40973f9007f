#!/usr/bin/env python3
"""authlab's access tokens, read and written by an independent JWT implementation (PyJWT).

tests/it/interop.rs runs this script against real authlab token nodes:

  verify  checks a token an authlab node issued, with a key PyJWT builds itself: from the node's
          published JWK Set through PyJWT's own PyJWKClient (RS256, ES256, EdDSA), or from the
          private JWK Set file the node was started with (HS256: a secret is never published).
          Prints {"alg", "kid", "source", "claims"} as JSON.
  mint    signs an access token with PyJWT, with a key from that file (or, with --wrong-key, a
          fresh key of the same type under the same kid), carrying every claim authlab requires.
          Prints the token.

Needs `pip install "pyjwt[crypto]"`. Exit status 3 means PyJWT or cryptography is missing.
"""

import argparse
import json
import os
import sys
import time
import uuid

try:
    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
except ImportError as missing:  # the Rust test turns this into a loud skip (or a failure in CI)
    print(f"interop.py: {missing}; install with: pip install \"pyjwt[crypto]\"", file=sys.stderr)
    sys.exit(3)

ACCESS_TOKEN_TYPE = "at+jwt"


def key_file_jwk(path, kid=None):
    """The private JWK with this kid in an authlab key file (default: the first, which signs)."""
    with open(path, encoding="utf-8") as f:
        keys = json.load(f)["keys"]
    for jwk in keys:
        if kid is None or jwk["kid"] == kid:
            return jwk
    raise SystemExit(f"interop.py: no key {kid!r} in {path}")


def verify(args):
    header = jwt.get_unverified_header(args.token)
    if header.get("typ", "").lower() not in (ACCESS_TOKEN_TYPE, "application/" + ACCESS_TOKEN_TYPE):
        raise SystemExit(f"interop.py: typ is {header.get('typ')!r}, not {ACCESS_TOKEN_TYPE}")
    if args.jwks_url:
        # PyJWT's own JWKS client fetches the set and picks the key by the token's kid.
        signing_key = jwt.PyJWKClient(args.jwks_url, cache_keys=False).get_signing_key_from_jwt(args.token)
        source = "jwks"
    else:
        signing_key = jwt.PyJWK(key_file_jwk(args.key_file, header.get("kid")))
        source = "key-file"
    # The algorithm comes from the key (its JWK's alg), never from the token's header.
    algorithm = getattr(signing_key, "algorithm_name", None) or signing_key._jwk_data["alg"]  # older PyJWT
    claims = jwt.decode(
        args.token,
        signing_key.key,
        algorithms=[algorithm],
        audience=args.audience,
        issuer=args.issuer,
        options={"require": ["exp", "iss", "aud", "sub"]},
    )
    print(json.dumps({"alg": algorithm, "kid": header.get("kid"), "source": source, "claims": claims}))


def fresh_key_like(jwk):
    """A new key of the same type as `jwk`: what an attacker without the real key could sign with."""
    kty = jwk["kty"]
    if kty == "oct":
        return os.urandom(32)
    if kty == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kty == "EC":
        return ec.generate_private_key(ec.SECP256R1())
    if kty == "OKP":
        return ed25519.Ed25519PrivateKey.generate()
    raise SystemExit(f"interop.py: unknown kty {kty!r}")


def mint(args):
    jwk = key_file_jwk(args.key_file, args.kid)
    key = fresh_key_like(jwk) if args.wrong_key else jwt.PyJWK(jwk).key
    now = int(time.time())
    claims = {
        "sub": args.sub,
        "iss": args.issuer,
        "aud": args.audience,
        "exp": now + args.ttl,
        "iat": now,
        "nbf": now,
        "jti": uuid.uuid4().hex,
        "scope": args.scope,
    }
    headers = {"kid": jwk["kid"], "typ": ACCESS_TOKEN_TYPE}
    print(jwt.encode(claims, key, algorithm=jwk["alg"], headers=headers))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    v = commands.add_parser("verify", help="verify an authlab access token with PyJWT")
    v.add_argument("--token", required=True)
    v.add_argument("--issuer", default="authlab")
    v.add_argument("--audience", default="authlab-api")
    source = v.add_mutually_exclusive_group(required=True)
    source.add_argument("--jwks-url", help="the node's /.well-known/jwks.json")
    source.add_argument("--key-file", help="the JWK Set file the node was started with (--keys)")
    v.set_defaults(run=verify)

    m = commands.add_parser("mint", help="sign an access token with PyJWT")
    m.add_argument("--key-file", required=True, help="the JWK Set file the node was started with (--keys)")
    m.add_argument("--kid", help="which key of the file (default: the first)")
    m.add_argument("--sub", required=True)
    m.add_argument("--issuer", default="authlab")
    m.add_argument("--audience", default="authlab-api")
    m.add_argument("--scope", default="profile:read")
    m.add_argument("--ttl", type=int, default=300, help="seconds until exp")
    m.add_argument("--wrong-key", action="store_true", help="sign with a fresh key of the same type instead")
    m.set_defaults(run=mint)

    args = parser.parse_args()
    try:
        args.run(args)
    except jwt.PyJWTError as e:
        print(f"interop.py: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
