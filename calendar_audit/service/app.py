"""The web app: one factory builds the routes; each route checks who is asking before anything else.

Server-rendered Jinja2 pages (autoescaped), no JavaScript, nothing fetched from elsewhere (the Content-Security-Policy
forbids it). A request without a live session is sent to sign in (a POST is refused); a signed-in person asking for
what is not theirs gets a plain 403 page that repeats nothing from the address; every form carries the session's
CSRF token and a POST without it is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..errors import CalendarAuditError
from ..sources.store import connect, transaction
from ..window import Window, parse_date
from . import auth, records, views
from .roles import Viewer, viewer_for
from .scheduler import Scheduler
from .state import ServiceState

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
REPORT_TEMPLATES = Path(__file__).parent.parent / "writers" / "templates"
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "X-Frame-Options": "DENY", "Cache-Control": "no-store"}


def environment() -> Environment:
    from ..writers.html import add_filters

    env = Environment(loader=ChoiceLoader([FileSystemLoader(TEMPLATES), FileSystemLoader(REPORT_TEMPLATES)]),
                      autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return add_filters(env)


class Denied(Exception):
    """Answer 403 with the plain page (nothing from the request is repeated)."""


class BadDates(Exception):
    """A team page's dates that are not YYYY-MM-DD, or in the wrong order."""


class SignInNeeded(Exception):
    """No live session: a page sends the browser to sign in; a POST is refused."""


@dataclass
class Call:
    """One request's session, viewer and store connection."""

    request: Request
    conn: sqlite3.Connection
    session: auth.Session | None
    viewer: Viewer | None
    cookie: str | None = None  # a new session's cookie to set on the response
    cookie_age: int = 0


def create_app(state: ServiceState, *, scheduler: Scheduler | None = None, run_scheduler: bool = False) -> Starlette:
    """The ASGI app for these settings (``state.demo``: demo sign-in, no Microsoft)."""
    env = environment()
    scheduler = scheduler or Scheduler(state)
    settings = state.settings
    lifetime = timedelta(hours=settings.service.session_hours)

    @contextlib.contextmanager
    def opened(request: Request) -> Iterator[Call]:
        with connect(state.store) as conn:
            session = auth.load_session(conn, request.cookies.get(auth.COOKIE), state.now())
            viewer = None
            if session is not None and session.person:
                viewer = viewer_for(settings, session.person, session.roles, members_of(conn))
            yield Call(request, conn, session, viewer)

    def members_of(conn: sqlite3.Connection) -> dict[str, list[str]]:
        return {} if state.demo else records.stored_members(conn)

    def page(call: Call | None, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        viewer = call.viewer if call else None
        session = call.session if call else None
        html = env.get_template(template).render(viewer=viewer, csrf=session.csrf if session else "",
                                                 demo=state.demo, **context)
        response = HTMLResponse(html, status_code=status, headers=HEADERS)
        if call is not None and call.cookie is not None:
            response.headers["set-cookie"] = auth.cookie_header(call.cookie, settings, call.cookie_age)
        return response

    def denied() -> HTMLResponse:
        return page(None, "error.html.j2", 403, title="Not allowed",
                    message="You do not have access to this page. Ask your team manager if you think you should.")

    def guarded(handler: Callable[..., Any], *, post: bool = False) -> Callable[[Request], Any]:
        """Open the store and session, check sign-in and CSRF, map refusals to their plain pages."""

        async def endpoint(request: Request) -> Response:
            form = await request.form() if post else None
            try:
                return await run_in_threadpool(_call, request, form)
            except SignInNeeded:
                if post:
                    return denied()
                return RedirectResponse("/signin", status_code=303, headers=HEADERS)
            except Denied:
                return denied()

        def _call(request: Request, form: Any) -> Response:
            with opened(request) as call:
                if call.viewer is None:
                    raise SignInNeeded
                if post and not auth.csrf_ok(call.session, form.get("csrf") if form else None):
                    raise Denied
                return handler(call, form) if post else handler(call)

        return endpoint

    # --- pages ------------------------------------------------------------------------------------------------
    def home(call: Call) -> Response:
        assert call.viewer is not None
        try:
            context = views.home(state, call.conn, call.viewer)
        except CalendarAuditError as exc:
            return page(call, "error.html.j2", 503, title="Not available yet", message=unavailable(exc))
        return page(call, "home.html.j2", **context)

    def answer(call: Call, form: Any) -> Response:
        """Decline / Tentative / Keep one suggested meeting, once; journalled (and, for real, sent with your token)."""
        assert call.viewer is not None
        choice = str(form.get("answer", ""))
        event_id = str(form.get("event_id", ""))[:500]
        if choice not in views.ANSWERS or not event_id or not call.viewer.member_of:
            raise Denied
        team = views.team_named(state, call.viewer.member_of[0])
        assert team is not None
        slots, version = views.policy_of(state, call.conn, team)
        offered = views.suggestions(state, call.conn, team, call.viewer.person, slots, version)
        item = next((s for s in offered["items"] if s.event_id == event_id), None)
        if item is None:  # only your own current suggestions can be answered
            raise Denied
        if item.answer:
            return RedirectResponse("/#suggestions", status_code=303, headers=HEADERS)
        action = views.ANSWERS[choice]
        outcome = "kept" if action == "keep" else "recorded (demo: nothing sent)" if state.demo else \
            send_reply(call, event_id, action, item.reply)
        with transaction(call.conn):
            records.record_answer(call.conn, call.viewer.person, event_id, action, outcome,
                                  "demo" if state.demo else "delegated", state.now())
        return RedirectResponse("/#suggestions", status_code=303, headers=HEADERS)

    def accept_after_all(call: Call, form: Any) -> Response:
        """Undo one answer enforcement sent for you: accept the invitation after all, once, journalled."""
        from .enforcement import accept_after_all as undo

        assert call.viewer is not None
        event_id = str(form.get("event_id", ""))[:500]
        if not call.viewer.member_of or not event_id:
            raise Denied
        mine = views.enforcement_entries(state, call.conn, call.viewer)
        item = next((e for e in mine if e.event_id == event_id), None)
        if item is None:  # only your own enforcement answers can be undone
            raise Denied
        if item.can_undo:
            try:
                undo(state, call.viewer.person, event_id)  # a refusal is journalled as failed and shown on /
            except CalendarAuditError as exc:  # no sign-in settings, Graph unreachable: nothing was sent
                return page(call, "error.html.j2", 503, title="Not sent",
                            message=f"The acceptance was not sent: {exc}")
        return RedirectResponse("/#enforcement", status_code=303, headers=HEADERS)

    def choose_level(call: Call, form: Any) -> Response:
        """Your own enforcement level (the team's policy caps it)."""
        from .enforcement import LEVEL_WORDS
        from .enforcement import choose_level as choose

        assert call.viewer is not None
        level = str(form.get("level", ""))
        if not call.viewer.member_of or (level and level not in LEVEL_WORDS):
            raise Denied
        with transaction(call.conn):
            choose(state, call.conn, call.viewer.person, level)
        return RedirectResponse("/#preference", status_code=303, headers=HEADERS)

    def send_reply(call: Call, event_id: str, action: str, comment: str) -> str:
        """POST /me/events/{id}/{action} with the person's own delegated token, through the audit log."""
        from ..actions import AuditLog, default_audit_log
        from ..actions.responses import ResponsePlan, send_responses_async

        assert call.viewer is not None and call.session is not None
        tokens = auth.SessionTokens(settings, call.session, state.msal_http)
        plan = ResponsePlan(call.viewer.person, event_id, action, comment)
        try:
            (outcome,) = asyncio.run(send_responses_async([plan], settings, AuditLog(default_audit_log(settings)),
                                                          apply=True, me=True, transport=state.graph_transport,
                                                          tokens=tokens))
        except CalendarAuditError as exc:
            return f"failed: {exc}"
        with transaction(call.conn):
            auth.save_token_cache(call.conn, call.session, tokens.cache)
        return "sent" if outcome.outcome == "already_sent" else outcome.outcome

    def dates(call: Call) -> Window | None:
        """The ?from=&to= dates of a team page (None: the default weeks); BadDates when unreadable."""
        query = call.request.query_params
        if "from" not in query and "to" not in query:
            return None
        try:
            first = parse_date(query.get("from", ""), "from")
            last = parse_date(query.get("to", ""), "to")
            return Window(first, last, settings.timezone)
        except CalendarAuditError:
            raise BadDates from None

    def team_page(call: Call) -> Response:
        team = visible_team(call)
        try:
            context = views.team_page(state, call.conn, team, dates(call), render=report_body)
        except BadDates:
            return page(call, "error.html.j2", 400, title="Dates not understood",
                        message="Give both dates as YYYY-MM-DD, the first not after the last.")
        except CalendarAuditError as exc:
            return page(call, "error.html.j2", 503, title="Not available yet", message=unavailable(exc))
        return page(call, "team.html.j2", **context)

    def report_body(context: dict[str, Any]) -> Markup:
        return Markup(env.get_template("report_body.html.j2").render(**context))  # autoescaped by the template

    def team_csv(call: Call) -> Response:
        """person_week.csv of the team page, written as ``report`` writes it."""
        team = visible_team(call)
        try:
            content = views.team_csv(state, call.conn, team, dates(call))
        except BadDates:
            return page(call, "error.html.j2", 400, title="Dates not understood",
                        message="Give both dates as YYYY-MM-DD, the first not after the last.")
        except CalendarAuditError as exc:
            return page(call, "error.html.j2", 503, title="Not available yet", message=unavailable(exc))
        return Response(content, media_type="text/csv; charset=utf-8", headers={
            **HEADERS, "Content-Disposition": 'attachment; filename="person_week.csv"'})

    def policy_get(call: Call) -> Response:
        team = visible_team(call)
        saved = int(call.request.query_params.get("saved", "0") or 0) if \
            call.request.query_params.get("saved", "").isdigit() else 0
        return page(call, "policy.html.j2", **views.policy_page(state, call.conn, team, saved=saved))

    def policy_post(call: Call, form: Any) -> Response:
        assert call.viewer is not None
        team = visible_team(call)
        forms = views.forms_of_post(form)
        slots, general = views.validate_forms(state, team, forms)
        has_errors = bool(general) or any(f.errors for f in forms)
        if form.get("action") == "save" and not has_errors:
            with transaction(call.conn):
                version = records.save(call.conn, team.name, [f.raw() for f in forms], call.viewer.person,
                                       state.now())
            return RedirectResponse(f"/teams/{team.name}/policy?saved={version.version}", status_code=303,
                                    headers=HEADERS)
        try:
            context = views.policy_page(state, call.conn, team, forms, general, None if has_errors else slots)
        except CalendarAuditError as exc:
            context = views.policy_page(state, call.conn, team, forms, [*general, unavailable(exc)])
        return page(call, "policy.html.j2", 400 if has_errors else 200, **context)

    def status(call: Call) -> Response:
        assert call.viewer is not None
        if not call.viewer.admin:
            raise Denied
        return page(call, "status.html.j2", **views.status_page(state, call.conn, scheduler))

    def visible_team(call: Call) -> Any:
        """The team named in the path, if this viewer may see it (else 403, whether or not it exists)."""
        assert call.viewer is not None
        name = call.request.path_params["name"]
        team = views.team_named(state, name)
        if team is None or not call.viewer.can_see_team(team.name):
            raise Denied
        return team

    # --- sign-in ----------------------------------------------------------------------------------------------
    def fresh(call: Call, lifetime_: timedelta, **fields: Any) -> auth.Session:
        """Replace the call's session with a new one (a new id), to be set as the cookie."""
        with transaction(call.conn):
            if call.session is not None:
                auth.end_session(call.conn, call.session)
            call.cookie, call.session = auth.new_session(call.conn, state.now(), lifetime_, **fields)
        call.cookie_age = int(lifetime_.total_seconds())
        return call.session

    async def sign_in_page(request: Request) -> Response:
        def run() -> Response:
            with opened(request) as call:
                if call.viewer is not None:
                    return RedirectResponse("/", status_code=303, headers=HEADERS)
                fresh(call, timedelta(minutes=auth.PENDING_MINUTES))
                return page(call, "signin.html.j2", people=demo_people() if state.demo else [])
        return await run_in_threadpool(run)

    def demo_people() -> list[dict[str, str]]:
        """The demo team's people, in its order, with the role each signs in as."""
        team = settings.teams[0]
        people = []
        for person in team.members:
            v = viewer_for(settings, person)
            people.append({"address": person, "role": v.role})
        return people

    async def sign_in_demo(request: Request) -> Response:
        form = await request.form()

        def run() -> Response:
            with opened(request) as call:
                if not state.demo or not auth.csrf_ok(call.session, form.get("csrf")):
                    return denied()
                person = str(form.get("person", "")).lower()
                if person not in {p["address"] for p in demo_people()}:
                    return denied()
                fresh(call, lifetime, person=person)
                call.viewer = viewer_for(settings, person)
                return redirect_with_cookie(call, "/")
        return await run_in_threadpool(run)

    async def sign_in_microsoft(request: Request) -> Response:
        def run() -> Response:
            if state.demo:
                return denied()
            with opened(request) as call:
                try:
                    url, flow = auth.start_sign_in(settings, state.msal_http)
                except CalendarAuditError as exc:
                    return page(call, "error.html.j2", 503, title="Sign-in is not available", message=unavailable(exc))
                fresh(call, timedelta(minutes=auth.PENDING_MINUTES), flow=flow)
                return redirect_with_cookie(call, url)
        return await run_in_threadpool(run)

    async def callback(request: Request) -> Response:
        def run() -> Response:
            if state.demo:
                return denied()
            with opened(request) as call:
                flow = call.session.flow if call.session else None
                if not flow:
                    return denied()
                try:
                    signed = auth.finish_sign_in(settings, flow, dict(request.query_params), state.msal_http)
                except CalendarAuditError:
                    with transaction(call.conn):
                        auth.end_session(call.conn, call.session)  # type: ignore[arg-type]
                    return page(None, "error.html.j2", 403, title="Sign-in failed",
                                message="Microsoft did not sign you in. Go back to the sign-in page and try again.")
                fresh(call, lifetime, person=signed.person, roles=signed.roles, token_cache=signed.token_cache)
                return redirect_with_cookie(call, "/")
        return await run_in_threadpool(run)

    def sign_out(call: Call, form: Any) -> Response:
        assert call.session is not None
        with transaction(call.conn):
            auth.end_session(call.conn, call.session)
        response = RedirectResponse("/signin", status_code=303, headers=HEADERS)
        response.headers["set-cookie"] = auth.cookie_header("", settings, 0)
        return response

    def redirect_with_cookie(call: Call, url: str) -> Response:
        response = RedirectResponse(url, status_code=303, headers=HEADERS)
        if call.cookie is not None:
            response.headers["set-cookie"] = auth.cookie_header(call.cookie, settings, call.cookie_age)
        return response

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"}, headers=HEADERS)

    async def not_found(request: Request, exc: Exception) -> Response:
        code = exc.status_code if isinstance(exc, HTTPException) else 500
        if code == 405:
            return page(None, "error.html.j2", 405, title="Not allowed",
                        message="That is not something this page does.")
        return page(None, "error.html.j2", 404, title="Not found", message="There is no page at this address.")

    async def failed(request: Request, exc: Exception) -> Response:
        log.error("page failed: %s", exc.__class__.__name__)  # no detail: it may hold calendar text
        return page(None, "error.html.j2", 500, title="Something went wrong",
                    message="The page could not be built. The error was logged; try again later.")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if run_scheduler:
            scheduler.start()  # its first run syncs, then warms the pages' results
        elif not state.demo:
            asyncio.get_running_loop().run_in_executor(None, state.warm)
        try:
            yield
        finally:
            if run_scheduler:
                await scheduler.stop()

    routes = [
        Route("/", guarded(home)),
        Route("/answer", guarded(answer, post=True), methods=["POST"]),
        Route("/enforcement/accept", guarded(accept_after_all, post=True), methods=["POST"]),
        Route("/enforcement/preference", guarded(choose_level, post=True), methods=["POST"]),
        Route("/teams/{name}", guarded(team_page)),
        Route("/teams/{name}/person_week.csv", guarded(team_csv)),
        Route("/teams/{name}/policy", guarded(policy_get)),
        Route("/teams/{name}/policy", guarded(policy_post, post=True), methods=["POST"]),
        Route("/status", guarded(status)),
        Route("/healthz", healthz),
        Route("/signin", sign_in_page),
        Route("/signin/demo", sign_in_demo, methods=["POST"]),
        Route("/signin/microsoft", sign_in_microsoft),
        Route("/auth/callback", callback),
        Route("/signout", guarded(sign_out, post=True), methods=["POST"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={HTTPException: not_found, Exception: failed})
    app.state.service = state
    app.state.scheduler = scheduler
    return app


def unavailable(exc: CalendarAuditError) -> str:
    """What a page says when the store cannot answer yet (never a traceback)."""
    return f"The calendars cannot be shown yet: {exc}"
