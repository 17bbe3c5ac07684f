"""The console's Flask application: sessions, CSRF, security headers, one error handler."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from pipeline.cases.context import ServiceContext, open_context
from pipeline.cases.deadlines import recount_due_dates
from pipeline.cases.reads import Read, may_read
from pipeline.privacy import private_file
from pipeline.settings import Settings
from pipeline.web import admin, audit, auth, case, errors, objections, queue, reports, spotchecks

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)


MAX_REQUEST_BYTES = 4 * 1024 * 1024


def secret_key(settings: Settings) -> bytes:
    """The session-signing key, made once and kept beside the database (0600)."""
    path = settings.path(settings.data_dir) / "web-secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        private_file(path)
        path.write_bytes(secrets.token_bytes(32))
    return path.read_bytes()


def create_app(settings: Settings | None = None, ctx: ServiceContext | None = None) -> Flask:
    """The console for one office's settings and database."""
    ctx = ctx or open_context(settings)
    app = Flask(__name__, template_folder=str(Path(__file__).parent / "templates"))
    app.config.update(
        SECRET_KEY=secret_key(ctx.settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=ctx.settings.web_https,
        # A roster of 5,000 rows corrected at once is under 1 MB of form; nothing a clerk sends is more.
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_REQUEST_BYTES,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=ctx.settings.web_idle_minutes),
        SESSION_REFRESH_EACH_REQUEST=True,
        WTF_CSRF_TIME_LIMIT=None,  # the session's own lifetime bounds the token
    )
    app.extensions["letters"] = ctx
    recount_due_dates(ctx.db, ctx.calendar)  # holidays.toml edited while the console was down
    if ctx.settings.web_proxy_hops:  # behind the office's reverse proxy: the client is in X-Forwarded-For
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=ctx.settings.web_proxy_hops, x_proto=ctx.settings.web_proxy_hops
        )  # type: ignore[method-assign]
    app.jinja_env.globals["Read"] = Read
    app.jinja_env.globals["may_read"] = _may_read  # the nav offers what the case core lets this person read
    CSRFProtect(app)
    auth.install(app)
    errors.install(app)
    app.register_blueprint(auth.blueprint)
    app.register_blueprint(queue.blueprint)
    app.register_blueprint(case.blueprint)
    app.register_blueprint(audit.blueprint)
    app.register_blueprint(admin.blueprint)
    app.register_blueprint(spotchecks.blueprint)
    app.register_blueprint(reports.blueprint)
    app.register_blueprint(objections.blueprint)

    @app.after_request
    def headers(response):  # type: ignore[no-untyped-def]
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        if response.mimetype == "text/html":  # pages hold personal data: never cached
            response.headers["Cache-Control"] = "no-store"
        return response

    return app


def _may_read(what: Read) -> bool:
    from flask_login import current_user

    return bool(current_user.is_authenticated) and may_read(current_user.account, what)
