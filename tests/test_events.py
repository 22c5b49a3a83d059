"""Event extraction: name, host city and dates of the event an article reports."""

from __future__ import annotations

from datetime import date

import pytest

from crawler.analyze.events import find_event


@pytest.mark.parametrize(
    ("title", "lead", "published", "name", "city", "start", "end"),
    [
        (
            "2017中国新型城市论坛荆门峰会综述",
            "11月19日至21日,以“绿色发展”为主题的2017中国新型城市论坛荆门峰会,在荆门国际会展中心举行。",
            date(2017, 11, 23),
            "2017中国新型城市论坛荆门峰会",
            "荆门",
            date(2017, 11, 19),
            date(2017, 11, 21),
        ),
        (
            "全国城投产业发展会议在杭州召开",
            "仲夏时节,西子之滨。\n7月24—25日,全国城投产业发展会议在杭州召开。",
            date(2024, 7, 26),
            "全国城投产业发展会议",
            "杭州",
            date(2024, 7, 24),
            date(2024, 7, 25),
        ),
        (
            "2024年市长论坛在京举办",
            "10月27日，由全国市长研修学院主办的2024年市长论坛在北京举办。",
            date(2024, 10, 29),
            "2024年市长论坛",
            "北京",
            date(2024, 10, 27),
            date(2024, 10, 27),
        ),
        (
            "第二十一届投洽会“城市更新与产业投资”专题论坛在厦门举办",
            "9月9日，专题论坛在厦门举办。",
            date(2021, 9, 10),
            "第二十一届投洽会“城市更新与产业投资”专题论坛",
            "厦门",
            date(2021, 9, 9),
            date(2021, 9, 9),
        ),
        (
            "2025中国城市发展论坛将于3月在成都举行",
            "记者12月19日从论坛组委会获悉，2025中国城市发展论坛将于3月21日至22日在四川成都举行。",
            date(2024, 12, 20),
            "2025中国城市发展论坛",
            "成都",
            date(2025, 3, 21),
            date(2025, 3, 22),
        ),
    ],
)
def test_find_event(
    title: str,
    lead: str,
    published: date,
    name: str,
    city: str,
    start: date,
    end: date,
) -> None:
    event = find_event(title, lead, published)
    assert (event.name, event.city, event.start, event.end) == (name, city, start, end)


def test_year_less_date_takes_the_nearest_year() -> None:
    event = find_event(
        "城市更新论坛在武汉举行", "12月28日，城市更新论坛在武汉举行。", date(2025, 1, 3)
    )
    assert event.start == date(2024, 12, 28)


def test_no_event() -> None:
    event = find_event("我市部署森林防火工作", "11月9日，全市森林防火工作会议召开。", None)
    assert event.city is None and event.start is None


@pytest.mark.parametrize(
    ("title", "lead", "published", "start", "end"),
    [
        ("2023年度城市发展年会将于1月20日召开", "", date(2024, 1, 8), date(2024, 1, 20), None),
        ("", "5月20日，2035城市规划论坛在成都举行。", date(2024, 5, 21), date(2024, 5, 20), None),
        (
            "",
            "2023年12月30日至2024年1月2日，城市更新论坛在成都举行。",
            date(2024, 1, 3),
            date(2023, 12, 30),
            date(2024, 1, 2),
        ),
    ],
)
def test_event_years(title: str, lead: str, published: date, start: date, end: date | None) -> None:
    event = find_event(title, lead, published)
    assert (event.start, event.end) == (start, end or start)


@pytest.mark.parametrize(
    ("lead", "published", "start", "end"),
    [
        (
            "11月19日至21日，城市论坛在荆门举行。",
            date(2017, 11, 23),
            date(2017, 11, 19),
            date(2017, 11, 21),
        ),
        (
            "11月19日-21日，城市论坛在荆门举行。",
            date(2017, 11, 23),
            date(2017, 11, 19),
            date(2017, 11, 21),
        ),
        (
            "11月19—21日，城市论坛在荆门举行。",
            date(2017, 11, 23),
            date(2017, 11, 19),
            date(2017, 11, 21),
        ),
        (
            "11月19日——21日，城市论坛在荆门举行。",
            date(2017, 11, 23),
            date(2017, 11, 19),
            date(2017, 11, 21),
        ),
        (
            "11月19日 至 21 日，城市论坛在荆门举行。",
            date(2017, 11, 23),
            date(2017, 11, 19),
            date(2017, 11, 21),
        ),
        (
            "11 月 19 日至 21 日，城市论坛在荆门举行。",
            date(2017, 11, 23),
            date(2017, 11, 19),
            date(2017, 11, 21),
        ),
        (
            "11月19号至21号，城市论坛在荆门举行。",
            date(2017, 11, 23),
            date(2017, 11, 19),
            date(2017, 11, 21),
        ),
        (
            "11月30日至12月2日，城市论坛在荆门举行。",
            date(2017, 12, 3),
            date(2017, 11, 30),
            date(2017, 12, 2),
        ),
        (
            "12月30日至1月2日，城市论坛在荆门举行。",
            date(2018, 1, 3),
            date(2017, 12, 30),
            date(2018, 1, 2),
        ),
        (
            "12月30日—1月2日，城市论坛在荆门举行。",
            date(2017, 12, 20),
            date(2017, 12, 30),
            date(2018, 1, 2),
        ),
        ("11月9日，城市论坛在荆门举行。", date(2017, 11, 10), date(2017, 11, 9), date(2017, 11, 9)),
    ],
)
def test_event_date_ranges(lead: str, published: date, start: date, end: date) -> None:
    event = find_event("城市论坛综述", lead, published)
    assert (event.start, event.end) == (start, end)


@pytest.mark.parametrize(
    ("title", "city"),
    [
        ("城市论坛在吉林省长春市举行", "长春"),
        ("城市论坛在海南省三亚市举行", "三亚"),
        ("社区治理论坛在朝阳区举行", None),
        ("2024年市长论坛在京举办", "北京"),
    ],
)
def test_host_city_behind_a_province_and_not_a_district(title: str, city: str | None) -> None:
    assert find_event(title, "", None).city == city
