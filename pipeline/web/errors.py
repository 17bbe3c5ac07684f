"""One error handler: the error tree becomes a Chinese page (or JSON), never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from pipeline.errors import INTERNAL_ERROR_ZH, CaseNotFound, LettersError, NotAllowed
from pipeline.storage.database import explain_database_error
from pipeline.web.heavy import ConsoleBusy

log = logging.getLogger("pipeline.web")


def _reply(status: int, message_zh: str):  # type: ignore[no-untyped-def]
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"ok": False, "error": message_zh}), status
    return render_template("error.html", message=message_zh, status=status), status


def install(app: Flask) -> None:
    @app.errorhandler(LettersError)
    def letters_error(exc: LettersError):  # type: ignore[no-untyped-def]
        status = (
            404 if isinstance(exc, CaseNotFound)
            else 403 if isinstance(exc, NotAllowed)
            else 503 if isinstance(exc, ConsoleBusy)
            else 400
        )  # fmt: skip
        log.info("refused %s %s: %s", request.method, request.path, exc)
        return _reply(status, exc.message_zh)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):  # type: ignore[no-untyped-def]
        log.warning("CSRF refused on %s: %s", request.path, exc.description)
        return _reply(400, "页面已过期或请求来源不明（缺少安全令牌），请刷新页面后重试。")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        texts = {404: "找不到该页面。", 405: "不支持该操作方式。", 413: "提交的内容过大，请分次提交。"}
        return _reply(exc.code or 500, texts.get(exc.code or 500, "请求无法处理。"))

    @app.errorhandler(Exception)
    def internal(exc: Exception):  # type: ignore[no-untyped-def]
        known = explain_database_error(exc)  # the same words the command line prints
        if known is not None:  # busy or unreachable: the clerk can wait or call the administrator
            log.warning("%s on %s %s: %s", type(known).__name__, request.method, request.path, known)
            return _reply(503, known.message_zh)
        log.exception("internal error on %s %s", request.method, request.path)
        return _reply(500, INTERNAL_ERROR_ZH)
