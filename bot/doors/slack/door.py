"""Slack door: ``POST /slack/events`` through slack-bolt's Flask adapter.

- Verification comes first, in this module: the body is read up to MAX_BODY_BYTES and its
  signature checked by slack_sdk's ``SignatureVerifier`` on our clock (Slack's v0 HMAC, the
  timestamp within 5 minutes) before Bolt or anything else parses it. Whatever the verifier
  raises on (a timestamp that is not a number, a body that is not UTF-8, a signature that
  is not ASCII) counts as a refusal (401), never a 500. A verified body that is not what
  Slack sends (broken JSON, a ``payload=`` that is not JSON, a slash command without
  ``user_id``, a click whose ``user`` is not an object, an event whose ``text`` is not a
  string, any text with a NUL) gets 400 naming the field (bot.doors.slack.payloads), and
  nothing runs. Only then does Bolt see it (its own verification runs again, with the
  same verifier), given the body exactly as it was checked. With no
  SLACK_SIGNING_SECRET the route refuses every request instead of running unverified.
- Authorization: no ``auth.test``, ever. An ``authorize`` function hands Bolt the configured
  bot token, so building the app and serving requests need no network. Without the bot's
  own ids Bolt cannot spot its own events, so this door drops every event that carries a
  ``bot_id``, a ``subtype`` or the bot user (named in the envelope's ``authorizations``).
- Inputs: ``/switchboard <command> …``; any other slash command ``/name …`` as command
  ``name``; ``app_mention``; direct messages; ``switchboard:<n>`` buttons.
- The 3-second rule: slash commands get their reply in the 200 body when the dispatcher
  answers within ``ack_deadline``; otherwise "Working on it…" and the reply through
  ``response_url``. Buttons and events are acknowledged at once and answered afterwards
  (``response_url``, chat.postMessage, chat.postEphemeral).
- Bolt runs with ``process_before_response``: listeners run in the request's thread and
  hand slow work to this door's own pool, so no request waits on Bolt's 10 ms polling for
  the acknowledgement, and nothing slow (a PBX) ever holds the answer past the deadline.
- Languages: the users.info call that finds a newcomer's email also asks for their locale
  (``include_locale``); it is stored on the person (``chat_locale``) inside the
  dispatcher's first transaction, from the cache, with no second call to Slack. Every
  answer is rendered in the asker's language (what the renderer adds: "(continued)"), and
  what this door says before knowing who asks ("Working on it…") in the team's.
- Redeliveries run once: events by ``event_id``; slash commands and button clicks by
  their ``trigger_id`` (a replayed signed request inside the 5-minute window is answered
  with the first answer and runs nothing).

Payload helpers, the e-mail cache and the tracked thread pools are in bot.doors.slack.support.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Response, jsonify, request
from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.flask.handler import to_bolt_request, to_flask_response
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context import BoltContext
from slack_bolt.middleware.request_verification import RequestVerification
from slack_bolt.request.internals import build_context
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.signature import Clock as SlackClock
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.orm import Session

from bot.doors.known import KnownOwners
from bot.doors.slack.payloads import Malformed, problem, read_payload
from bot.doors.slack.support import (
    EmailCache,
    Inflight,
    TrackedPool,
    bot_user_id,
    parse_button_value,
    strip_mention,
)
from bot.render.slack import ACTION_PREFIX, render_message, split
from bot.render.split import split_reply
from bot.runtime import Runtime
from commands.core import Reply, Where
from commands.dispatch import Incoming, Remember, Result
from integrations.clock import Clock
from store.i18n import N_, _, speaking
from store.messaging import chat
from store.team.people import Person, language_of

log = logging.getLogger(__name__)

ACK_DEADLINE = 2.5  # seconds; Slack gives up at 3
MAX_BODY_BYTES = 200_000  # Slack's payloads are a few kB; a block_actions with a big message
WORKING = N_("Working on it…")
EMAIL_TTL = timedelta(minutes=10)


def register(app: Flask, runtime: Runtime) -> None:
    """Add ``POST /slack/events``; the door itself is kept in ``app.extensions``."""
    if not runtime.settings.slack_signing_secret:
        if runtime.settings.slack_bot_token:
            log.warning("SLACK_BOT_TOKEN is set but SLACK_SIGNING_SECRET is empty: "
                        "the Slack door refuses every request")
        app.add_url_rule("/slack/events", "slack_events", _refuse, methods=["POST"])
        return
    door = SlackDoor(runtime)
    app.extensions["switchboard.slack"] = door

    def slack_events() -> Response | tuple[Response, int]:
        if (request.content_length or 0) > MAX_BODY_BYTES:  # refused unread
            return jsonify(error="request too large"), 413
        # Read once (bounded by the app's MAX_CONTENT_LENGTH) and cached: Bolt's adapter
        # reads the same bytes with get_data().
        checked = door.precheck(request.headers, request.get_data(cache=True))
        if not isinstance(checked, dict):
            return checked
        try:
            bolt_request = to_bolt_request(request)
        except Exception as exc:  # Bolt's request context met a shape it cannot read
            log.info("refused a Slack body Bolt cannot read: %r", exc)
            return jsonify(error="malformed request", field="body",
                           reason="not shaped as Slack sends it"), 400
        if bolt_request.body != checked:
            # Bolt reads any form holding the word "payload" (a command's text can) as an
            # interactivity payload; give it the form as it is.
            bolt_request.body = checked
            bolt_request.context = build_context(BoltContext({}), checked)
        return to_flask_response(door.bolt.dispatch(bolt_request))

    app.add_url_rule("/slack/events", "slack_events", slack_events, methods=["POST"])


def _refuse() -> tuple[Response, int]:
    return jsonify(error="invalid request"), 401


@dataclass
class Answer:
    """A request's result and the language to render it in: the asker's, as the
    dispatcher found them (None: the team's, for strangers and replays)."""

    result: Result
    language: str | None = None


class SlackDoor:
    """The Bolt app, its listeners and the threads they run on."""

    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        self.runtime = runtime
        self.ack_deadline = ACK_DEADLINE
        self.verifier = _Verifier(settings.slack_signing_secret,
                                  clock=_EpochClock(runtime.services.clock))
        self.emails = EmailCache(runtime.services.clock, EMAIL_TTL)
        self.dm_owners = KnownOwners()  # DM channels seen stored with their owner
        self.inflight = Inflight()
        # Listeners run in the request thread (process_before_response); commands run on
        # this pool, so a listener can wait for one with a deadline. It counts towards
        # ``drain``.
        self.workers = TrackedPool(self.inflight, "slack-command", 16)
        base_url = settings.slack_api_url or WebClient.BASE_URL
        # No token on the client: ``authorize`` supplies it per request (Bolt would otherwise
        # warn that a client token is ignored next to an authorize function).
        client = WebClient(
            base_url=base_url if base_url.endswith("/") else base_url + "/",
            timeout=10,
            retry_handlers=[ConnectionErrorRetryHandler(),
                            RateLimitErrorRetryHandler(max_retry_count=2)],
        )
        token = settings.slack_bot_token or None

        def authorize(enterprise_id: str | None, team_id: str | None,
                      user_id: str | None) -> AuthorizeResult:
            return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id,
                                   user_id=user_id, bot_token=token)

        self.bolt = App(
            name="switchboard",
            client=client,
            signing_secret=settings.slack_signing_secret,
            authorize=authorize,
            token_verification_enabled=False,
            # Bolt's own check reads the system clock; ours (below) reads the injected one.
            request_verification_enabled=False,
            process_before_response=True,
        )
        self.bolt.use(_ClockedVerification(self.verifier))
        # Order matters: Bolt runs the first listener that matches.
        self.bolt.command("/switchboard")(self.on_switchboard)
        self.bolt.command(re.compile(r"^/.+"))(self.on_named_command)
        self.bolt.action(re.compile("^" + re.escape(ACTION_PREFIX)))(self.on_button)
        self.bolt.action(re.compile(".*"))(self.on_other_action)
        self.bolt.event("app_mention")(self.on_mention)
        self.bolt.event("message")(self.on_message)
        self.bolt.event(re.compile(".*"))(self.on_other_event)

    # ----------------------------------------------------------------- slash commands

    def on_switchboard(self, ack: Ack, command: dict[str, Any], respond: Respond,
                       client: WebClient) -> None:
        self._slash(ack, respond, client, command, str(command.get("text") or ""))

    def on_named_command(self, ack: Ack, command: dict[str, Any], respond: Respond,
                         client: WebClient) -> None:
        name = str(command.get("command") or "").lstrip("/")
        args = str(command.get("text") or "").strip()
        self._slash(ack, respond, client, command, f"/{name} {args}".strip(),
                    command=name, args=args)

    def _slash(self, ack: Ack, respond: Respond, client: WebClient, payload: dict[str, Any],
               text: str, **explicit: str) -> None:
        channel = str(payload.get("channel_id") or "") or None
        is_dm = bool(channel and channel.startswith("D")) or \
            payload.get("channel_name") == "directmessage"
        incoming = self.incoming(client, str(payload["user_id"]), text,
                                 Where("slack", channel, None, is_dm),
                                 dedupe_key=_delivery_key("command", payload), **explicit)
        future = self.workers.submit(self.handle, incoming)
        try:
            answer = future.result(timeout=self.ack_deadline)
        except FutureTimeout:
            with speaking(None):  # who asks is not known yet
                ack(text=_(WORKING), response_type="ephemeral")
            self._later(future, lambda done: self._respond(respond, done.result.reply,
                                                           done.language))
            return
        result = answer.result
        if result.outcome == "duplicate":
            ack()
            return
        with speaking(answer.language):
            first, *rest = split(result.reply)
            body = {**render_message(first), "response_type": _response_type(result.reply)}
        ack(body)
        if rest:  # too long for one message: the rest through response_url, in order
            self.workers.submit(self._respond_all, respond, rest, result.reply,
                                answer.language)

    # ----------------------------------------------------------------- buttons

    def on_button(self, ack: Ack, body: dict[str, Any], action: dict[str, Any],
                  respond: Respond, client: WebClient) -> None:
        ack()  # Slack ignores a body here; the answer goes through response_url
        channel = (body.get("channel") or {}).get("id") or \
            (body.get("container") or {}).get("channel_id")
        where = Where("slack", channel, None, bool(channel and str(channel).startswith("D")))
        user_id = str((body.get("user") or {}).get("id") or "")
        parsed = parse_button_value(action.get("value"))
        if parsed is None or not user_id:
            with speaking(None):
                reply = Reply(_("That button is broken: it does not say which command to "
                                "run."), private=True)
            self.workers.submit(self._answer_click, body, respond, client, channel, user_id,
                                where, Answer(Result(reply, "failed")))
            return
        name, args = parsed
        incoming = self.incoming(client, user_id, f"/{name} {args}".strip(), where,
                                 command=name, args=args,
                                 dedupe_key=_delivery_key("action", body, action))
        self.workers.submit(self._click, incoming, body, respond, client, channel, where)

    def _click(self, incoming: Incoming, body: dict[str, Any], respond: Respond,
               client: WebClient, channel: str | None, where: Where) -> None:
        answer = self.handle(incoming)
        self._answer_click(body, respond, client, channel, incoming.user_id, where, answer)

    def _answer_click(self, body: dict[str, Any], respond: Respond, client: WebClient,
                      channel: str | None, user_id: str, where: Where, answer: Answer) -> None:
        result = answer.result
        if result.replayed:
            return  # a replayed click: the first answer was already given
        if body.get("response_url"):
            self._respond(respond, result.reply, answer.language)
        elif channel:
            self.post(client, str(channel), user_id, result.reply, is_dm=where.is_dm,
                      language=answer.language)

    def on_other_action(self, ack: Ack) -> None:
        ack()

    # ----------------------------------------------------------------- events

    def on_mention(self, body: dict[str, Any], event: dict[str, Any],
                   client: WebClient) -> None:
        self.workers.submit(self._event, body, event, client)

    def on_message(self, body: dict[str, Any], event: dict[str, Any],
                   client: WebClient) -> None:
        # Channel messages arrive as app_mention; only direct messages are read here.
        if event.get("channel_type") == "im":
            self.workers.submit(self._event, body, event, client)

    def on_other_event(self) -> None:
        """Acknowledge (Bolt does) so Slack does not retry events nobody here reads."""

    def _event(self, body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        bot_user = bot_user_id(body)
        user_id = event.get("user")
        if event.get("bot_id") or event.get("subtype") or not user_id or user_id == bot_user:
            return
        event_id = str(body.get("event_id") or "") or None
        channel = str(event.get("channel") or "")
        is_dm = event.get("channel_type") == "im" or channel.startswith("D")
        thread = event.get("thread_ts")
        text = strip_mention(str(event.get("text") or ""), bot_user,
                             mentioned=event.get("type") == "app_mention")
        where = Where("slack", channel or None, thread, is_dm)
        answer = self.handle(self.incoming(client, str(user_id), text, where,
                                           dedupe_key=event_id))
        if answer.result.replayed:
            log.info("slack event %s already handled; redelivery ignored", event_id)
            return
        if channel:
            self.post(client, channel, str(user_id), answer.result.reply, is_dm=is_dm,
                      thread=thread, language=answer.language)

    # ----------------------------------------------------------------- running

    def incoming(self, client: WebClient, user_id: str, text: str, where: Where, *,
                 dedupe_key: str | None = None, **explicit: str) -> Incoming:
        return Incoming(platform="slack", user_id=user_id, text=text, where=where,
                        email_lookup=lambda: self.emails.lookup(client, user_id),
                        dedupe_key=dedupe_key, **explicit)

    def handle(self, incoming: Incoming) -> Answer:
        """Dispatch; never raise (a worker has nobody to raise to)."""
        answer = Answer(Result(Reply(""), "failed"))
        try:
            answer.result = self.runtime.dispatcher.handle(
                incoming, remember=self.remember(incoming, answer))
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("slack request from %s failed (ref %s)", incoming.user_id, ref)
            with speaking(answer.language):
                text = _("Sorry, something went wrong on my side (ref {ref}). Please try "
                         "again.").format(ref=ref)
            answer.result = Result(Reply(text, private=True), "failed")
        return answer

    def remember(self, incoming: Incoming, answer: Answer) -> Remember:
        """What the door keeps once the asker is known, inside the dispatcher's first
        transaction: their DM channel, the locale the users.info lookup gave (from the
        cache: no call to Slack here), and, for rendering, the language they read."""
        dm = self.remember_dm(incoming)
        locale_of: Callable[[str], str | None] = self.emails.locale
        user_id = incoming.user_id

        def remember(session: Session, person: Person | None) -> None:
            if dm is not None:
                dm(session, person)
            if person is None:
                return
            locale = locale_of(user_id)
            if locale is not None and person.chat_locale != locale:
                person.chat_locale = locale
            answer.language = language_of(person)

        return remember

    def remember_dm(self, incoming: Incoming) -> Remember | None:
        """Keep the DM channel, so proactive messages to this person can reuse it (inside
        the dispatcher's first transaction, once the asker is known)."""
        channel = incoming.where.space
        if not (incoming.where.is_dm and channel):
            return None
        now = self.now()
        known = self.dm_owners

        def remember(session: Session, person: Person | None) -> None:
            if person is None or known.get(channel) == person.id:
                return
            space = chat.find_space(session, "slack", channel)
            if space is None or space.kind != "dm" or space.person_id != person.id:
                chat.remember_space(session, "slack", channel, "dm", now, person_id=person.id)
            else:
                known.remember(channel, person.id)

        return remember

    def _later(self, future: Future[Answer], then: Any) -> None:
        """Run ``then(result)`` when a slow command finishes, on the pool, counted by drain."""
        def finish() -> None:
            then(future.result())

        self.workers.submit(finish)

    # ----------------------------------------------------------------- verification

    def precheck(self, headers: Any, body: bytes) -> tuple[Response, int] | dict[str, Any]:
        """Refuse before anything parses the body: too large, unsigned or badly signed
        (401), or signed but not a Slack payload, or one missing a field Slack always
        sends (400, naming the field). Otherwise the body as Bolt is to read it."""
        if len(body) > MAX_BODY_BYTES:
            return jsonify(error="request too large"), 413
        if not self.verifier.is_valid(body, headers.get("X-Slack-Request-Timestamp"),
                                      headers.get("X-Slack-Signature")):
            return jsonify(error="invalid request"), 401
        try:
            kind, data = read_payload(body, str(headers.get("Content-Type") or ""))
        except Malformed as exc:
            return jsonify(error="malformed request", field=exc.field, reason=exc.reason), 400
        if (bad := problem(kind, data)) is not None:
            log.info("refused a signed Slack body: %s", bad)
            return jsonify(error="malformed request", field=bad.field, reason=bad.reason), 400
        return data

    # ----------------------------------------------------------------- answering

    def post(self, client: WebClient, channel: str, user_id: str, reply: Reply, *,
             is_dm: bool, thread: str | None = None, language: str | None = None) -> None:
        """Private replies are ephemeral in channels; in a DM only the asker sees it anyway.
        A reply too long for one message goes as several; one Slack still refuses as too
        long is cut in two and sent again, so the asker always gets the whole answer.
        ``language``: the asker's, for what the renderer adds ("(continued)")."""
        with speaking(language):
            self._post(client, channel, user_id, reply, is_dm=is_dm, thread=thread)

    def _post(self, client: WebClient, channel: str, user_id: str, reply: Reply, *,
              is_dm: bool, thread: str | None) -> None:
        pending = split(reply)
        while pending:
            piece = pending.pop(0)
            message: dict[str, Any] = {"channel": channel, **render_message(piece)}
            if thread:
                message["thread_ts"] = thread
            try:
                if reply.private and not is_dm:
                    client.chat_postEphemeral(user=user_id, **message)
                else:
                    client.chat_postMessage(**message)
            except SlackApiError as exc:
                halves = _halves(piece) if _too_long(exc) else []
                if halves:
                    log.warning("Slack refused an answer as too long (%s); sending it in %d "
                                "parts", exc.response.get("error"), len(halves))
                    pending[:0] = halves
                    continue
                log.warning("could not answer %s in Slack channel %s: %s", user_id, channel,
                            exc)
                return
            except (SlackClientError, OSError) as exc:
                log.warning("could not answer %s in Slack channel %s: %s", user_id, channel,
                            exc)
                return

    def _respond(self, respond: Respond, reply: Reply, language: str | None = None) -> None:
        with speaking(language):
            self._respond_all(respond, split(reply), reply, language)

    def _respond_all(self, respond: Respond, pieces: list[Reply], reply: Reply,
                     language: str | None = None) -> None:
        """Each piece through response_url (at most five answers per request), rendered
        in ``language`` (the asker's)."""
        with speaking(language):
            self._respond_pieces(respond, pieces, reply)

    def _respond_pieces(self, respond: Respond, pieces: list[Reply], reply: Reply) -> None:
        pending = list(pieces)
        while pending:
            piece = pending.pop(0)
            message = render_message(piece)
            try:
                sent = respond(text=message["text"], blocks=message["blocks"],
                               response_type=_response_type(reply), replace_original=False)
            except (SlackClientError, OSError, ValueError) as exc:
                log.warning("could not answer through response_url: %s", exc)
                return
            if sent.status_code != 200:  # e.g. expired (30 min), used up (5), too long
                halves = _halves(piece) if "too_long" in str(sent.body) else []
                if halves:
                    pending[:0] = halves
                    continue
                log.warning("response_url refused the answer: %s %s", sent.status_code,
                            sent.body)
                return

    # ----------------------------------------------------------------- lifecycle

    def now(self) -> datetime:
        return self.runtime.services.clock.now()

    def drain(self, timeout: float) -> bool:
        """Wait until every acknowledged request has been answered (shutdown, tests)."""
        return self.inflight.wait_idle(timeout)

    def close(self, timeout: float = 10) -> None:
        self.drain(timeout)
        self.workers.shutdown(wait=False)


# --------------------------------------------------------------------------- helpers


def _response_type(reply: Reply) -> str:
    return "ephemeral" if reply.private else "in_channel"


def _delivery_key(kind: str, payload: dict[str, Any],
                  action: dict[str, Any] | None = None) -> str | None:
    """What names one slash command or click: Slack's ``trigger_id`` (unique per
    invocation), with the action's timestamp for clicks."""
    trigger = payload.get("trigger_id")
    if not isinstance(trigger, str) or not trigger:
        return None
    stamp = str((action or {}).get("action_ts") or "")
    return f"{kind}:{trigger}:{stamp}"[:300]


class _Verifier(SignatureVerifier):
    """slack_sdk's verifier, refusing instead of raising: it raises on a timestamp that is
    not an integer, a body that is not UTF-8 or a signature that is not ASCII, and each of
    those is just a request that is not Slack's."""

    def is_valid(self, body: str | bytes, timestamp: str | None,
                 signature: str | None) -> bool:
        try:
            return super().is_valid(body, timestamp, signature)
        except Exception:  # whatever it raises on, the request is not verified
            return False


class _ClockedVerification(RequestVerification):
    """Bolt's request verification middleware, verifying with the door's clocked verifier
    (it runs again after ``precheck``: nothing reaches a listener unverified)."""

    def __init__(self, verifier: SignatureVerifier) -> None:
        super().__init__(signing_secret="")
        self._clocked = verifier

    @property
    def verifier(self) -> SignatureVerifier:
        return self._clocked


class _EpochClock(SlackClock):
    """slack_sdk's verifier asks a clock for epoch seconds; ours gives datetimes."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def now(self) -> float:
        return float(self.clock.now().timestamp())


def _too_long(exc: SlackApiError) -> bool:
    return str(exc.response.get("error") or "") in ("msg_too_long", "msg_blocks_too_long")


def _halves(reply: Reply) -> list[Reply]:
    """A reply Slack refused as too long, in pieces half its rendered size or less
    (``[]`` when it cannot be cut any further)."""
    size = len(json.dumps(render_message(reply)))
    pieces = split_reply(reply, lambda r: len(json.dumps(render_message(r))) <= size // 2)
    return pieces if len(pieces) > 1 else []
