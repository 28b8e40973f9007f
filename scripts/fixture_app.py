#!/usr/bin/env python3
"""A third-party web app for authlab to drive: Flask, with Flask-Login over server-side sessions
(Flask-Session on cachelib's in-process SimpleCache) for the session strategy, or
flask-jwt-extended for the token strategy. Nothing of authlab is in it.

    python3 scripts/fixture_app.py session --port 5001 [--users 1000] [--pid-file app.pid]
    python3 scripts/fixture_app.py token   --port 5002 [--users 1000]
    python3 scripts/fixture_app.py users   [--users 1000]     # the accounts, as CSV

Routes (both modes):
    POST /login      JSON {"username","password"} or a form: 200, or 401 on wrong credentials
                     session: sets the `session` cookie; token: {"access_token","refresh_token",
                     "expires_in"}
    GET  /me         the protected resource: 200 with the user, 401 without a valid credential
    POST /logout     session: the server-side session is deleted; 204
    POST /refresh    token: the refresh token in `Authorization: Bearer`; {"access_token"}
    GET  /healthz    200
    GET  /metrics    Prometheus text: prometheus_client's process_* metrics (RSS, CPU)
    GET  /_counts    what the app itself counted, as JSON (the tests compare it with authlab's)

Requires: pip install flask flask-login flask-session cachelib flask-jwt-extended prometheus-client
"""

import argparse
import hmac
import logging
import os
import secrets
import sys
import threading
from datetime import timedelta


def accounts(count):
    """The app's accounts: deterministic names and passwords."""
    return [(f"fixture{i:05d}", f"pw-{i}-{i * 7919 % 10007}") for i in range(count)]


class Counts:
    """What the app counted, by what happened."""

    def __init__(self):
        self.lock = threading.Lock()
        self.values = {"logins": 0, "failed_logins": 0, "requests": 0, "unauthorized": 0, "logouts": 0, "refreshes": 0}

    def add(self, name):
        with self.lock:
            self.values[name] += 1

    def snapshot(self):
        with self.lock:
            return dict(self.values)


def credentials(request):
    """The username and password of a JSON or form login."""
    body = request.get_json(silent=True)
    if isinstance(body, dict):
        return str(body.get("username", "")), str(body.get("password", ""))
    return request.form.get("username", ""), request.form.get("password", "")


def make_app(mode, users):
    from flask import Flask, jsonify, request
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    app = Flask("fixture_app")
    directory = dict(accounts(users))
    counts = Counts()

    def logged_in():
        """The user of the request's login (JSON or form), counted; None for wrong credentials."""
        username, password = credentials(request)
        expected = directory.get(username)
        if expected is None or not hmac.compare_digest(expected, password):
            counts.add("failed_logins")
            return None
        counts.add("logins")
        return username

    def wrong_credentials():
        return jsonify(error="wrong username or password"), 401

    @app.get("/healthz")
    def healthz():
        return "ok"

    @app.get("/metrics")
    def metrics():
        return generate_latest(), 200, {"Content-Type": CONTENT_TYPE_LATEST}

    @app.get("/_counts")
    def counted():
        return jsonify(counts.snapshot())

    if mode == "session":
        from cachelib import SimpleCache
        from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
        from flask_session import Session

        app.config.update(
            SECRET_KEY=secrets.token_hex(32),
            SESSION_TYPE="cachelib",
            # Every session in this process's memory, none evicted before the test ends.
            SESSION_CACHELIB=SimpleCache(threshold=10_000_000, default_timeout=1800),
            SESSION_PERMANENT=False,
        )
        Session(app)
        manager = LoginManager(app)

        class User(UserMixin):
            def __init__(self, name):
                self.id = name

        @manager.user_loader
        def load_user(name):
            return User(name) if name in directory else None

        @manager.unauthorized_handler
        def unauthorized():
            counts.add("unauthorized")
            return jsonify(error="log in first"), 401

        @app.post("/login")
        def login():
            username = logged_in()
            if username is None:
                return wrong_credentials()
            login_user(User(username))
            return jsonify(user=username)

        @app.get("/me")
        @login_required
        def me():
            counts.add("requests")
            return jsonify(user=current_user.id)

        @app.post("/logout")
        def logout():
            logout_user()
            from flask import session

            session.clear()
            counts.add("logouts")
            return "", 204

    else:
        from flask_jwt_extended import (
            JWTManager,
            create_access_token,
            create_refresh_token,
            get_jwt_identity,
            jwt_required,
        )

        lifetime = timedelta(minutes=15)
        app.config.update(JWT_SECRET_KEY=secrets.token_hex(32), JWT_ACCESS_TOKEN_EXPIRES=lifetime)
        jwt = JWTManager(app)

        def refused(message):
            counts.add("unauthorized")
            return jsonify(error=message), 401

        jwt.unauthorized_loader(lambda reason: refused(reason))
        jwt.invalid_token_loader(lambda reason: refused(reason))
        jwt.expired_token_loader(lambda header, payload: refused("token expired"))

        @app.post("/login")
        def login():
            username = logged_in()
            if username is None:
                return wrong_credentials()
            return jsonify(
                access_token=create_access_token(identity=username),
                refresh_token=create_refresh_token(identity=username),
                expires_in=int(lifetime.total_seconds()),
            )

        @app.get("/me")
        @jwt_required()
        def me():
            counts.add("requests")
            return jsonify(user=get_jwt_identity())

        @app.post("/refresh")
        @jwt_required(refresh=True)
        def refresh():
            counts.add("refreshes")
            return jsonify(access_token=create_access_token(identity=get_jwt_identity()))

    return app


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["session", "token", "users"])
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--pid-file")
    args = parser.parse_args()
    if args.mode == "users":
        print("username,password")
        for name, password in accounts(args.users):
            print(f"{name},{password}")
        return
    if args.pid_file:
        with open(args.pid_file, "w") as f:
            f.write(f"{os.getpid()}\n")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    import flask.cli

    flask.cli.show_server_banner = lambda *args, **kwargs: None
    app = make_app(args.mode, args.users)
    print(f"http://127.0.0.1:{args.port}", flush=True)
    app.run(host="127.0.0.1", port=args.port, threaded=True)


if __name__ == "__main__":
    sys.exit(main())
