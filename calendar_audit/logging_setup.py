"""Logging for the command line: ``--verbose`` shows what happens, with secrets redacted from every record.

Redaction happens when a record is created (a log-record factory), so it holds for every handler: the console,
a file a user adds, or pytest's capture. It removes Authorization headers, bearer tokens, JWTs, and the values
of secret-named fields in URLs, forms and JSON (client_secret, access/refresh/id tokens, client assertions), and
Graph's ``$deltatoken`` / ``$skiptoken`` values (a delta link reads a mailbox's changes without asking again).
"""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "[redacted]"
_SECRET_NAMES = r"client_secret|client_assertion|access_token|refresh_token|id_token|password|pseudonym_salt"
_PATTERNS = (
    (re.compile(r"(?i)(authorization['\"]?\s*[:=,]\s*['\"]?)(?:bearer\s+|basic\s+)?[^\s'\",}]+"), r"\1" + REDACTED),
    (re.compile(r"(?i)\bbearer\s+[\w\-.~+/]+=*"), "Bearer " + REDACTED),
    (re.compile(r"\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*"), REDACTED),  # a JWT, wherever it sits
    (re.compile(rf"(?i)(\b(?:{_SECRET_NAMES})['\"]?\s*[:=]\s*['\"]?)[^\s&'\",}}]+"), r"\1" + REDACTED),
    (re.compile(r"(?i)((?:\$|%24)(?:delta|skip)token(?:=|%3D))[^\s&'\",}]+"), r"\1" + REDACTED),
)


def redact(text: str) -> str:
    """``text`` with every credential-looking value replaced by ``[redacted]``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redacting(factory: Any) -> Any:
    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error handling
            return record
        record.msg, record.args = redact(message), None
        return record

    make.redacting = True  # type: ignore[attr-defined]
    return make


def configure_logging(verbose: bool) -> None:
    """Log to stderr (debug with ``verbose``, else warnings), every record redacted."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "redacting", False):
        logging.setLogRecordFactory(_redacting(factory))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    # verbose: calendar-audit's own steps in full, the libraries' (httpx requests, msal) at INFO, not their DEBUG
    logging.getLogger().setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("calendar_audit").setLevel(logging.DEBUG if verbose else logging.WARNING)
