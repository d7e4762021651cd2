"""`calendar-audit serve`: the web pages and the scheduled syncs, in one process (uvicorn)."""

from __future__ import annotations

import argparse
import logging
import re
import tempfile
from pathlib import Path

from ..errors import ConfigError
from .options import Context, add_config_options, settings_of


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve", help="the web service: your week, team pages and slot policy, behind Microsoft sign-in",
        description="Serve the pages (/, /teams/NAME, /teams/NAME/policy, /status, /healthz) behind Microsoft "
        "sign-in, and sync the teams' calendars into the store every sync.interval_minutes; after each team's "
        "sync, enforcement answers new invitations in protected slots and, when due (digest.enabled), the weekly "
        "digest is sent. With --demo: the built-in demo team behind a demo sign-in page (no password, no "
        "Microsoft; enforcement is journalled, nothing is sent), on 127.0.0.1 only.",
    )
    add_config_options(p, team=False)
    p.add_argument("--host", metavar="H", help="address to listen on (default: settings service.host, 127.0.0.1)")
    p.add_argument("--port", type=int, metavar="P", help="port (default: settings service.port, 8000)")
    p.add_argument("--demo", action="store_true",
                   help="serve the demo team with a demo sign-in (refused when a tenant is configured)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    import uvicorn

    from ..service.app import create_app
    from ..service.demo import demo_settings
    from ..service.state import ServiceState
    from ..sources.auth import require_sign_in_settings

    settings = settings_of(args)
    updates = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    if args.demo:
        if args.host and args.host not in ("127.0.0.1", "localhost"):
            raise ConfigError(f"--host {args.host}: the demo listens on 127.0.0.1 only (its sign-in has no password)")
        updates["host"] = "127.0.0.1"
    if updates:
        settings = settings.model_copy(update={"service": settings.service.model_copy(update=updates)})
    with tempfile.TemporaryDirectory(prefix="calendar-audit-demo-") as folder:
        if args.demo:
            settings = demo_settings(settings, Path(folder))
        else:
            if not settings.teams:
                raise ConfigError("teams: no team is configured (add a [[teams]] table), or try --demo")
            require_sign_in_settings(settings)
        state = ServiceState(settings, demo=args.demo)
        app = create_app(state, run_scheduler=not args.demo)
        host, port = settings.service.host, settings.service.port
        ctx.console.print(f"calendar-audit serve{' --demo' if args.demo else ''}: http://{host}:{port}/ "
                          "(Ctrl-C to stop)", highlight=False)
        uvicorn.run(app, host=host, port=port, log_config=LOG_CONFIG, proxy_headers=not args.demo,
                    forwarded_allow_ips="127.0.0.1")
    return 0


class DropQuery(logging.Filter):
    """Access-log lines name the path only: a sign-in reply's query holds the authorization code."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = QUERY.sub(r"\1", record.getMessage()), None
        return True


QUERY = re.compile(r'("[A-Z]+ [^ ?"]*)\?[^ "]*')
# Plain formatters: every record is already formatted and redacted when it is made (logging_setup), which
# uvicorn's own access formatter cannot read.
LOG_CONFIG: dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "filters": {"no_query": {"()": DropQuery}},
    "handlers": {
        "default": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"},
        "access": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr",
                   "filters": ["no_query"]},
    },
    "loggers": {
        "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        "calendar_audit": {"handlers": ["default"], "level": "INFO", "propagate": False},
    },
}
