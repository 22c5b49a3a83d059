"""Anti-bot answers: tell a JavaScript challenge or a dynamic-cookie wall from a real page.

Pure; no settings read. ``detect_challenge(status, headers, body)`` returns a ``Challenge``
(which shield, what gave it away) or None. Chinese government sites sit behind a few shields that
answer a client without JavaScript with a script instead of the page:

* 加速乐 / Jiasule (Knownsec): HTTP 521, a ``__jsluid_h``/``__jsluid_s`` cookie, and
  ``<script>document.cookie=...;location.href=location.pathname+location.search</script>``; its
  second round is a ``go({... "tn":"__jsl_clearance_s" ...})`` script.
* 瑞数 / Rivers Security: HTTP 412 (202 or 200 in some versions), an empty body after a
  ``<meta ... r='m'>`` seed and ``$_ts=window['$_ts']`` scripts, cookies with generated names.
* Cloudflare: a ``cf-mitigated: challenge`` header, "Just a moment..." pages loading
  ``/cdn-cgi/challenge-platform/`` (``_cf_chl_opt``), the "Attention Required!" block page.
  Cloudflare's own 521 ("web server is down") without these is an origin failure, not a shield.
* Aliyun WAF: a 200 script page computing the ``acw_sc__v2`` cookie from ``var arg1='...'``
  then reloading; its 405 block page ("您的访问被阻断", errors.aliyun.com).
* 云锁 / Yunsuo: ``YunSuoAutoJump()`` redirecting to ``?security_verify_data=...``, the
  ``yunsuo_session_verify`` cookie, the ``security_verify_img`` captcha.
* 安全狗 / Safedog (``safedog``, ``safedog-flow-item``), Baidu 云加速 (``yjs_js_security_passport``),
  智网 WZWS (``wzwschallenge``, ``_wzws_cid``).
* Any other small page whose script sets ``document.cookie`` and then reloads or re-navigates.

A 200 (or 202) answer counts only when it is plainly a stub: little visible text besides the
scripts. Pages of a site behind Rivers keep their ``$_ts`` scripts once the client passed, and
a Jiasule site sets ``__jsluid`` on its real pages too, so a marker alone is not enough there.
A plain 403 with no marker is a refusal, not a challenge: it is not reported here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

CHALLENGE_STATUSES = frozenset({200, 202, 403, 405, 412, 429, 503, 521})
"""Statuses a shield answers with; others are never read as a challenge."""
STUB_STATUSES = frozenset({200, 202})
"""Statuses that count only when the page is a stub (little visible text)."""
STUB_TEXT_CHARS = 200
"""A page with fewer visible letters than this (scripts and styles removed) is a stub."""
_HEAD = 256 * 1024  # markers sit in the first part of a page; bodies can be huge


@dataclass(frozen=True)
class Challenge:
    """An anti-bot answer: the shield that sent it and what gave it away."""

    shield: str
    """jiasule, rivers, cloudflare, aliyun_waf, yunsuo, safedog, yunjiasu, wzws or js_cookie."""
    status: int
    marker: str

    def describe(self) -> str:
        return f"anti-bot challenge: {self.shield} (HTTP {self.status}, {self.marker})"


# (shield, marker pattern on the body): strong markers, specific to one shield.
_BODY_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("jiasule", re.compile(r"__jsl_clearance")),
    (
        "jiasule",
        re.compile(r"location\.href\s*=\s*location\.pathname\s*\+\s*location\.search"),
    ),
    ("jiasule", re.compile(r"\bgo\(\{\s*\"bts\"")),
    ("rivers", re.compile(r"\$_ts\s*=\s*window\[['\"]\$_ts['\"]\]")),
    ("rivers", re.compile(r"\$_ts\.(?:cd|nsd)\s*=")),
    ("cloudflare", re.compile(r"/cdn-cgi/challenge-platform/|_cf_chl_opt|cf_chl_")),
    ("cloudflare", re.compile(r"<title>\s*Just a moment\.\.\.\s*</title>", re.I)),
    ("cloudflare", re.compile(r"Attention Required! \| Cloudflare|Sorry, you have been blocked")),
    ("aliyun_waf", re.compile(r"acw_sc__v[23]")),
    ("aliyun_waf", re.compile(r"errors\.aliyun\.com|您的访问被阻断")),
    ("yunsuo", re.compile(r"yunsuoautojump|security_verify_(?:data|img)", re.I)),
    ("safedog", re.compile(r"safedog", re.I)),
    ("yunjiasu", re.compile(r"yjs_js_security_passport|__yjs_")),
    ("wzws", re.compile(r"wzwschallenge|wzwsconfirm|_wzws_cid")),
)
# Cookie names set by shields (Set-Cookie); a challenge only with a non-stub-status or a stub page.
_COOKIE_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("jiasule", re.compile(r"^\s*__jsl(?:uid|_clearance)", re.I)),
    ("cloudflare", re.compile(r"^\s*(?:cf_clearance|__cf_bm)=", re.I)),
    ("aliyun_waf", re.compile(r"^\s*acw_sc__v[23]=", re.I)),
    ("yunsuo", re.compile(r"^\s*yunsuo_session_verify=", re.I)),
    ("safedog", re.compile(r"^\s*safedog-flow-item=", re.I)),
    ("yunjiasu", re.compile(r"^\s*(?:yjs_js_security_passport|__yjs_)", re.I)),
)
_COOKIE_SCRIPT = re.compile(r"document\.cookie\s*=")
_NAVIGATION = re.compile(
    r"location\.reload\s*\(|location(?:\.href)?\s*=|location\.replace\s*\(|setTimeout\s*\(",
)
_SCRIPT_OR_STYLE = re.compile(r"<(script|style|noscript)\b.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]*>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_LETTER = re.compile(r"[\w\u4e00-\u9fff]")


def detect_challenge(
    status: int, headers: Iterable[tuple[str, str]], body: bytes
) -> Challenge | None:
    """The challenge an answer carries, or None for a real page (or a plain error).

    ``headers`` are (name, value) pairs, a header sent twice (Set-Cookie) given twice.
    """
    if status not in CHALLENGE_STATUSES:
        return None
    pairs = [(name.lower(), value) for name, value in headers]
    for name, value in pairs:
        if name == "cf-mitigated" and value.strip().lower() == "challenge":
            return Challenge("cloudflare", status, "cf-mitigated: challenge")
    text = body[:_HEAD].decode("utf-8", "replace")
    stub = _is_stub(text)
    if status in STUB_STATUSES and not stub:
        return None
    for shield, pattern in _BODY_MARKERS:
        match = pattern.search(text)
        if match:
            return Challenge(shield, status, match.group(0)[:60])
    for name, value in pairs:
        if name != "set-cookie":
            continue
        for shield, pattern in _COOKIE_MARKERS:
            if pattern.search(value):
                cookie = value.split("=", 1)[0].strip()
                return Challenge(shield, status, f"Set-Cookie {cookie}"[:60])
    if stub and _COOKIE_SCRIPT.search(text) and _NAVIGATION.search(text):
        return Challenge("js_cookie", status, "document.cookie= then reload")
    return None


def visible_letters(html: str) -> int:
    """Letters and digits a reader would see: scripts, styles, comments and tags removed."""
    text = _COMMENT.sub(" ", html)
    text = _SCRIPT_OR_STYLE.sub(" ", text)
    text = _TAG.sub(" ", text)
    return len(_LETTER.findall(text))


def _is_stub(html: str) -> bool:
    return visible_letters(html) < STUB_TEXT_CHARS
