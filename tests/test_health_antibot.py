"""The anti-bot detector (``crawler.monitor.antibot``) on pages shaped like each shield's answer
(tests/fixtures/antibot), and on real pages and plain errors that must not read as challenges."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.monitor.antibot import detect_challenge, visible_letters

FIXTURES = Path(__file__).parent / "fixtures" / "antibot"


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


CHALLENGES = [
    # (fixture, status, headers, shield)
    (
        "jiasule_521_first.html",
        521,
        [
            (
                "Set-Cookie",
                "__jsluid_h=0f1e2d3c4b5a69788796a5b4c3d2e1f0; max-age=31536000; path=/; HttpOnly",
            )
        ],
        "jiasule",
    ),
    ("jiasule_521_second.html", 521, [], "jiasule"),
    (
        "rivers_412.html",
        412,
        [
            (
                "Set-Cookie",
                "FSSBBIl1UgzbN7NS=5Vh3kN2; Path=/; expires=Fri, 01 Dec 2036 01:02:03 GMT; HttpOnly",
            )
        ],
        "rivers",
    ),
    ("rivers_412.html", 202, [], "rivers"),
    (
        "cloudflare_403.html",
        403,
        [("Server", "cloudflare"), ("cf-mitigated", "challenge")],
        "cloudflare",
    ),
    ("cloudflare_403.html", 503, [("Server", "cloudflare")], "cloudflare"),
    (
        "aliyun_acw_200.html",
        200,
        [("Set-Cookie", "acw_tc=2f624a1c17179031234567890e; path=/; HttpOnly")],
        "aliyun_waf",
    ),
    ("aliyun_block_405.html", 405, [], "aliyun_waf"),
    (
        "yunsuo_200.html",
        200,
        [
            (
                "Set-Cookie",
                "yunsuo_session_verify=8c1f0d3a2b; expires=Mon, 07-Dec-26 07:00:00 GMT; path=/; HttpOnly",
            )
        ],
        "yunsuo",
    ),
    ("wzws_200.html", 200, [], "wzws"),
    ("generic_cookie_reload_200.html", 200, [], "js_cookie"),
    # a shield's cookie on a stub 403 with no known script
    ("plain_403.html", 403, [("Set-Cookie", "__jsluid_s=abc; path=/")], "jiasule"),
]


@pytest.mark.parametrize(("name", "status", "headers", "shield"), CHALLENGES)
def test_challenges_are_recognised_with_their_shield(
    name: str, status: int, headers: list[tuple[str, str]], shield: str
) -> None:
    challenge = detect_challenge(status, headers, body(name))
    assert challenge is not None, name
    assert challenge.shield == shield
    assert challenge.status == status
    assert challenge.describe().startswith(f"anti-bot challenge: {shield} (HTTP {status}")


NOT_CHALLENGES = [
    # a real article of a Rivers-protected site keeps its $_ts script once the client passed
    ("rivers_200_real_page.html", 200, [("Set-Cookie", "FSSBBIl1UgzbN7NS=5Vh3; Path=/")]),
    # a real page of a Jiasule site gets a __jsluid cookie on the first visit too
    ("rivers_200_real_page.html", 200, [("Set-Cookie", "__jsluid_h=0f1e; path=/")]),
    # a page whose font-size switcher sets a cookie and reloads
    ("article_with_cookie_script_200.html", 200, []),
    # Cloudflare's own 521: the origin is down, no shield involved
    ("cloudflare_521_origin_down.html", 521, [("Server", "cloudflare")]),
    # a plain refusal
    ("plain_403.html", 403, [("Server", "nginx")]),
    # a challenge-looking body on a status no shield uses
    ("jiasule_521_first.html", 404, []),
    ("yunsuo_200.html", 500, []),
]


@pytest.mark.parametrize(("name", "status", "headers"), NOT_CHALLENGES)
def test_real_pages_and_plain_errors_are_not_challenges(
    name: str, status: int, headers: list[tuple[str, str]]
) -> None:
    assert detect_challenge(status, headers, body(name)) is None


def test_a_huge_page_is_read_only_at_its_head() -> None:
    page = b"<html><body>" + "城市发展论坛。".encode() * 200_000 + b"</body></html>"
    assert detect_challenge(200, [], page) is None
    assert visible_letters("<script>var a=1;</script><p>城市 更新</p><!-- x y z -->") == 4
