"""The alert dispatcher: delivers what the outbox holds, through Apprise, exactly once per channel
as far as a network allows.

``dispatch_due(engine, config)`` works in three kinds of short transactions:

1. *claim*: due deliveries (``pending`` with ``next_attempt_at <= now``, or ``sending`` whose
   lease ran out) become ``sending`` with ``next_attempt_at = now + lease`` and one more attempt
   counted, committed before anything is sent. Two dispatchers (``serve``'s loop and a
   ``forumwatch crawl`` finishing) never claim the same row: the claim is a conditional UPDATE
   that re-checks the row.
2. *send*: instant alerts one message each; digest deliveries of one rule and channel one
   message listing them all; each through ``apprise.Apprise().notify`` with
   ``body_format=text`` and the URL's ``format=text`` (``crawler.alerts.message`` says what that
   makes safe) and socket timeouts (``cto``/``rto``, ``timeout`` seconds each unless the URL
   sets them) so a receiver that hangs fails the attempt instead of holding the loop.
3. *record*, right after each message: ``sent``; or, on failure, ``pending`` again after an
   exponential back-off (``backoff_base * 2**(attempts-1)``, at most ``backoff_max``); or
   ``dead`` after ``max_attempts`` attempts, or at once when the rule or its channel is no longer
   configured (the reason is kept in ``last_error``; ``forumwatch alerts`` shows dead letters).

Guarantees: an alert is never lost (it was committed with its article, and only ``sent`` or
``dead`` ends a delivery; a dispatcher killed mid-send leaves ``sending`` rows that are claimed
again once their lease runs out). The one window where a message can go out twice is the
unavoidable one of any at-least-once delivery: a dispatcher killed after the receiver accepted
the message and before step 3 committed ``sent`` (milliseconds); the message is then sent again
after the lease. Apprise's ``notify`` says only True/False, so the state lives in our rows.

``DispatchLoop`` runs ``dispatch_due`` every ``interval`` seconds on a thread, for ``serve``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from crawler.alerts import message as messages
from crawler.alerts.channels import HEALTH_RULE, channel_urls, sending_url
from crawler.alerts.searches import with_saved_searches
from crawler.config import Config
from storage import alerts as outbox
from storage.alerts import ClaimedDelivery
from storage.db import session_scope

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=60)
BACKOFF_MAX = timedelta(hours=1)
LEASE = timedelta(minutes=5)
"""How long a claimed delivery stays ``sending`` before another dispatcher may claim it again:
longer than any send (a message takes at most about ``2 * timeout`` per connection)."""
TIMEOUT = 10.0
"""Apprise's connect and read timeouts (seconds) unless a URL sets ``cto``/``rto``."""
CLAIM_BATCH = 100

Sender = Callable[[str, messages.Message, float], tuple[bool, str]]


@dataclass
class DispatchSummary:
    """What one ``dispatch_due`` did."""

    claimed: int = 0
    """Deliveries claimed."""
    messages: int = 0
    """Messages sent successfully (a digest is one message for many deliveries)."""
    sent: int = 0
    """Deliveries marked sent."""
    retried: int = 0
    """Deliveries that failed and will be tried again."""
    dead: int = 0
    """Deliveries dead-lettered."""
    errors: list[str] = field(default_factory=list)

    def add(self, other: DispatchSummary) -> None:
        self.claimed += other.claimed
        self.messages += other.messages
        self.sent += other.sent
        self.retried += other.retried
        self.dead += other.dead
        self.errors += other.errors


def apprise_send(url: str, message: messages.Message, timeout: float) -> tuple[bool, str]:
    """Send ``message`` to one Apprise URL; (delivered, what went wrong)."""
    import apprise

    notifier = apprise.Apprise()
    if not notifier.add(sending_url(url, connect=timeout, read=timeout)):
        return False, "not a valid Apprise URL"
    shaped = messages.for_channel(message, url)
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
        try:
            ok = bool(
                notifier.notify(
                    body=shaped.body, title=shaped.title, body_format=apprise.NotifyFormat.TEXT
                )
            )
        except Exception as exc:  # noqa: BLE001 - a plugin bug is a failed attempt
            return False, f"{type(exc).__name__}: {exc}"
        log = captured.getvalue().strip()
    return ok, ("" if ok else (log.splitlines()[-1] if log else "notification failed"))


def backoff(
    attempts: int, base: timedelta = BACKOFF_BASE, cap: timedelta = BACKOFF_MAX
) -> timedelta:
    """The wait after the ``attempts``-th failed attempt."""
    return min(base * (2 ** max(0, attempts - 1)), cap)


@dataclass
class _Group:
    url: str | None
    deliveries: list[ClaimedDelivery]
    problem: str | None = None
    """Why it cannot be sent at all (dead-lettered at once)."""


def _group(config: Config, claimed: Sequence[ClaimedDelivery]) -> list[_Group]:
    health_urls = channel_urls(config.health.notify)
    rule_urls = {rule.name: channel_urls(rule.notify) for rule in config.alerts}
    groups: dict[tuple[object, ...], _Group] = {}
    for delivery in claimed:
        problem = None
        if delivery.kind == "health" or delivery.rule == HEALTH_RULE:
            url = health_urls.get(delivery.channel)
            if url is None:
                problem = "channel no longer in health.notify"
        elif delivery.rule not in rule_urls:
            url, problem = None, f"rule {delivery.rule!r} no longer configured"
        else:
            url = rule_urls[delivery.rule].get(delivery.channel)
            if url is None:
                problem = f"channel no longer in the notify list of rule {delivery.rule!r}"
        if problem is not None or delivery.mode != "digest" or delivery.kind != "article":
            key: tuple[object, ...] = ("one", delivery.id)
        else:
            key = ("digest", delivery.rule, delivery.channel)
        group = groups.setdefault(key, _Group(url, [], problem))
        group.deliveries.append(delivery)
    return list(groups.values())


def _others(delivery: ClaimedDelivery, sites: dict[int, list[tuple[str, str]]]) -> list[str]:
    if delivery.story_id is None:
        return []
    return [name for sid, name in sites.get(delivery.story_id, []) if sid != delivery.source_id]


def build_message(
    group_deliveries: Sequence[ClaimedDelivery],
    sites: dict[int, list[tuple[str, str]]],
    *,
    now: datetime,
    tz: ZoneInfo,
) -> messages.Message:
    """The message of a group of claimed deliveries (one alert, or one digest)."""
    first = group_deliveries[0]
    if first.kind == "health" or first.rule == HEALTH_RULE:
        return messages.health_message(first.payload)
    if first.kind == "test":
        return messages.test_message(first.rule)
    if first.mode == "digest":
        entries = [
            messages.DigestEntry(d.payload, d.matched, _others(d, sites)) for d in group_deliveries
        ]
        return messages.digest_message(first.rule, f"{now.astimezone(tz):%Y-%m-%d}", entries)
    return messages.article_message(
        first.payload, rule=first.rule, matched=first.matched, other_sites=_others(first, sites)
    )


def dispatch_due(
    engine: Engine,
    config: Config,
    *,
    now: datetime | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    backoff_base: timedelta = BACKOFF_BASE,
    backoff_max: timedelta = BACKOFF_MAX,
    lease: timedelta = LEASE,
    timeout: float = TIMEOUT,
    send: Sender = apprise_send,
) -> DispatchSummary:
    """Deliver every delivery due at ``now`` (default: the current time); see the module
    docstring. Never raises for a failed send; database errors propagate."""
    summary = DispatchSummary()
    tz = ZoneInfo(config.timezone)
    with session_scope(engine) as session:  # saved searches with channels are rules too
        config = with_saved_searches(config, session=session)
    fixed_now = now
    while True:
        moment = fixed_now or datetime.now(UTC)
        with session_scope(engine, write=True) as session:
            claimed = outbox.claim_due(session=session, now=moment, lease=lease, limit=CLAIM_BATCH)
        if not claimed:
            return summary
        summary.claimed += len(claimed)
        with session_scope(engine) as session:
            sites = outbox.story_sites(
                session=session, story_ids={d.story_id for d in claimed if d.story_id is not None}
            )
        for group in _group(config, claimed):
            summary.add(
                _deliver(
                    engine,
                    group,
                    sites,
                    now=moment,
                    tz=tz,
                    max_attempts=max_attempts,
                    backoff_base=backoff_base,
                    backoff_max=backoff_max,
                    timeout=timeout,
                    send=send,
                )
            )
        if len(claimed) < CLAIM_BATCH:
            return summary


def _deliver(
    engine: Engine,
    group: _Group,
    sites: dict[int, list[tuple[str, str]]],
    *,
    now: datetime,
    tz: ZoneInfo,
    max_attempts: int,
    backoff_base: timedelta,
    backoff_max: timedelta,
    timeout: float,
    send: Sender,
) -> DispatchSummary:
    summary = DispatchSummary()
    ids = [d.id for d in group.deliveries]
    if group.problem is not None or group.url is None:
        with session_scope(engine, write=True) as session:
            outbox.mark_failed(
                session=session, delivery_ids=ids, error=group.problem or "no URL", retry_at=None
            )
        summary.dead += len(ids)
        summary.errors.append(group.problem or "no URL")
        return summary
    label = group.deliveries[0].channel_label
    try:
        message = build_message(group.deliveries, sites, now=now, tz=tz)
        ok, error = send(group.url, message, timeout)
    except Exception as exc:  # noqa: BLE001 - one bad message must not stop the others
        logger.exception("alert message to %s failed", label)
        ok, error = False, f"{type(exc).__name__}: {exc}"
    finished = datetime.now(UTC)
    with session_scope(engine, write=True) as session:
        if ok:
            outbox.mark_sent(session=session, delivery_ids=ids, at=finished)
            summary.messages += 1
            summary.sent += len(ids)
            return summary
        attempts = max(d.attempts for d in group.deliveries)
        dead = attempts >= max_attempts
        retry_at = (
            None if dead else max(now, finished) + backoff(attempts, backoff_base, backoff_max)
        )
        outbox.mark_failed(
            session=session,
            delivery_ids=ids,
            error=f"attempt {attempts}: {error}",
            retry_at=retry_at,
        )
    logger.warning("alert to %s failed (attempt %d): %s", label, attempts, error)
    summary.errors.append(f"{label}: {error}")
    if dead:
        summary.dead += len(ids)
    else:
        summary.retried += len(ids)
    return summary


def send_test(
    config: Config, rule_name: str, *, timeout: float = TIMEOUT
) -> list[tuple[str, bool, str]]:
    """Send a test message to each channel of a rule (``health`` for the health channels) right
    away, outside the outbox; (channel label, delivered, error) per channel."""
    from crawler.alerts.channels import channel_label

    urls = config.health.notify if rule_name == HEALTH_RULE else config.rule(rule_name).notify
    message = messages.test_message(rule_name)
    results = []
    for url in urls:
        ok, error = apprise_send(url, message, timeout)
        results.append((channel_label(url), ok, error))
    return results


class DispatchLoop:
    """A thread calling ``dispatch_due`` every ``interval`` seconds (at once after ``wake``).

    ``get_config``, when given, is asked for the configuration in force before each round (the
    service's, reloaded on SIGHUP); otherwise ``config`` is used (replace it to reload)."""

    def __init__(
        self,
        engine: Engine,
        config: Config,
        *,
        interval: float = 1.0,
        get_config: Callable[[], Config] | None = None,
        **options: object,
    ) -> None:
        self.engine = engine
        self.config = config
        """Replace to reload (the next round uses it)."""
        self.get_config = get_config
        self.interval = interval
        self.options = options
        self.total = DispatchSummary()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="forumwatch-alerts", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Dispatch now rather than at the end of the current interval."""
        self._wake.set()

    def stop(self, timeout: float | None = 30.0) -> bool:
        """Stop after the current round; True when the thread ended within ``timeout``."""
        self._stop.set()
        self._wake.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.get_config is not None:
                    self.config = self.get_config()
                self.total.add(dispatch_due(self.engine, self.config, **self.options))  # type: ignore[arg-type]
            except Exception:  # noqa: BLE001 - a database hiccup must not end the loop
                logger.exception("alert dispatch failed; trying again")
            self._wake.wait(self.interval)
            self._wake.clear()
