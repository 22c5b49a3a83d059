"""Generated Chinese government news sites for the benchmarks, written to disk with a manifest.

Pages look like real TRS-built government sites: 50-150 KB of HTML that is mostly chrome (inline
CSS and JS, a header with a 60-150 link menu, a 当前位置 breadcrumb, sidebars of 热点新闻 and
相关链接 carrying other dates, a footer with 版权所有/ICP备/地址) around a 1-6 KB article body
(``bench/zhtext.py``), a ``<h1>`` title and a ``发布时间：... 来源：...`` line. URLs are TRS-style
(``/news/202407/t20240726_12345.html``); about one page in four is GBK with a meta charset.
List pages carry 50 (or any number of) links, a TRS ``createPageHTML`` pager and a 下一页 link.

A ``SiteWriter`` mirrors every page under a directory and records it in ``manifest.json``,
which ``bench/httpserve.py`` serves: ``{"classify": [[kind, regex]...], "hosts": {host: {path:
[content_type, file, kind]}}}``, host ``"*"`` serving every address.
"""

from __future__ import annotations

import json
import random
from bisect import bisect_left
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from html import escape
from itertools import accumulate
from pathlib import Path

from zhtext import CITIES, TOPICS, Writer

ARTICLE_PATTERN = r"/t\d{8}_\d+\.s?html?$"
CLASSIFY = [
    ["robots", r"^/robots\.txt$"],
    ["article", ARTICLE_PATTERN],
    ["list", r"(?:/index(?:_\d+)?\.html?|/)$"],
]
ROBOTS_TXT = b"User-agent: *\nDisallow:\n"
MIN_PAGE_BYTES, MAX_PAGE_BYTES = 50_000, 150_000
GBK_SHARE = 0.25


@dataclass(frozen=True)
class ArticleSpec:
    """One article of a site: where it lives and what a correct extraction finds."""

    number: int
    path: str
    title: str
    kind: str
    published: datetime
    origin: str
    encoding: str  # "utf-8" or "gbk"
    header_charset: str | None  # what the Content-Type header says, if anything
    seed: int

    @property
    def content_type(self) -> str:
        return f"text/html; charset={self.header_charset}" if self.header_charset else "text/html"


@dataclass
class SiteStyle:
    """The chrome one site repeats on every page, plus pools to pad pages to their size."""

    city: str
    name: str
    nav_html: str
    footer_html: str
    css_rules: list[str]
    js_chunks: list[str]
    css_ends: list[int] = field(default_factory=list)
    js_ends: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.css_ends = list(accumulate(len(rule) + 1 for rule in self.css_rules))
        self.js_ends = list(accumulate(len(chunk) + 1 for chunk in self.js_chunks))


# -- planning --------------------------------------------------------------------------------


def plan_articles(
    rng: random.Random, count: int, *, city: str, newest: datetime, prefix: str = "/news"
) -> list[ArticleSpec]:
    """``count`` articles, newest first, a few hours to two days apart, with unique TRS ids."""
    specs: list[ArticleSpec] = []
    when = newest
    number = 900_000 + rng.randint(0, 50_000)
    for index in range(count):
        seed = rng.getrandbits(48)
        writer = Writer(random.Random(seed), city)
        title, kind = writer.title(when)
        gbk = rng.random() < GBK_SHARE
        specs.append(
            ArticleSpec(
                number=index,
                path=f"{prefix}/{when:%Y%m}/t{when:%Y%m%d}_{number}.html",
                title=title,
                kind=kind,
                published=when,
                origin=writer.origin(),
                encoding="gbk" if gbk else "utf-8",
                header_charset=_header_charset(rng, gbk),
                seed=seed,
            )
        )
        number -= rng.randint(1, 9)
        when -= timedelta(minutes=rng.randint(90, 2 * 24 * 60))
        when = when.replace(second=0)
    return specs


def _header_charset(rng: random.Random, gbk: bool) -> str | None:
    if gbk:
        return "gbk" if rng.random() < 0.3 else None  # mostly meta-only, as old servers do
    return "utf-8" if rng.random() < 0.8 else None


# -- site chrome -----------------------------------------------------------------------------


def restyle(base: SiteStyle, rng: random.Random, city: str) -> SiteStyle:
    """Another site on the same CMS template: its own menu and footer, ``base``'s padding."""
    name = f"{city}市人民政府"
    return replace(base, city=city, name=name, nav_html=_nav(rng), footer_html=_footer(rng, name))


def make_style(rng: random.Random, city: str | None = None) -> SiteStyle:
    """A site's look: menu, footer and the CSS/JS pools its pages are padded from."""
    city = city or rng.choice(CITIES)
    name = f"{city}市人民政府"
    return SiteStyle(
        city=city,
        name=name,
        nav_html=_nav(rng),
        footer_html=_footer(rng, name),
        css_rules=[_css_rule(rng, i) for i in range(1200)],
        js_chunks=[_js_chunk(rng, i) for i in range(260)],
    )


_MENU = [
    "首页",
    "政务公开",
    "新闻中心",
    "政务服务",
    "互动交流",
    "走进城市",
    "专题专栏",
    "数据开放",
    "办事指南",
    "政策文件",
    "政策解读",
    "人事信息",
    "规划计划",
    "财政信息",
    "统计数据",
    "应急管理",
    "公共资源交易",
    "重大项目",
    "民生实事",
    "营商环境",
    "乡村振兴",
    "生态环境",
    "教育文化",
    "医疗卫生",
    "社会保障",
    "住房保障",
    "交通出行",
    "城市建设",
    "市场监管",
    "安全生产",
    "信用建设",
]
_DEPARTMENTS = [
    "发展和改革委员会",
    "教育局",
    "科学技术局",
    "经济和信息化局",
    "公安局",
    "民政局",
    "司法局",
    "财政局",
    "人力资源和社会保障局",
    "自然资源和规划局",
    "生态环境局",
    "住房和城乡建设局",
    "交通运输局",
    "水利和湖泊局",
    "农业农村局",
    "商务局",
    "文化和旅游局",
    "卫生健康委员会",
    "退役军人事务局",
    "应急管理局",
    "审计局",
    "市场监督管理局",
    "统计局",
    "医疗保障局",
    "城市管理执法局",
]


def _nav(rng: random.Random) -> str:
    total = rng.randint(60, 150)
    columns: list[str] = []
    made = 0
    column = 0
    while made < total:
        label = _MENU[column % len(_MENU)]
        size = min(rng.randint(6, 16), total - made)
        items = "".join(
            f'<li><a href="/col/col{rng.randint(1000, 99999)}/index.html" target="_blank">'
            f"{rng.choice(_DEPARTMENTS) if rng.random() < 0.5 else rng.choice(TOPICS)}</a></li>"
            for _ in range(size)
        )
        columns.append(
            f'<li class="nav-item"><a href="/{_slug(label, column)}/" class="nav-link">{label}</a>'
            f'<div class="sub-menu"><ul>{items}</ul></div></li>'
        )
        made += size + 1
        column += 1
    return '<div class="nav"><ul class="nav-list">' + "".join(columns) + "</ul></div>"


def _slug(label: str, column: int) -> str:
    return ("zwgk", "xwzx", "zwfw", "hdjl", "zjcs", "ztzl", "sjkf", "bszn")[column % 8] + (
        str(column) if column >= 8 else ""
    )


def _footer(rng: random.Random, name: str) -> str:
    friends = "".join(
        f'<li><a href="http://{host}/" target="_blank">{label}</a></li>'
        for host, label in (
            ("www.gov.cn", "中国政府网"),
            ("www.mohurd.gov.cn", "住房和城乡建设部"),
            ("www.ndrc.gov.cn", "国家发展改革委"),
            ("www.mnr.gov.cn", "自然资源部"),
            ("www.hubei.gov.cn", "湖北省人民政府"),
        )
    )
    return (
        f'<div class="friend-links"><h3>相关链接</h3><ul>{friends}</ul></div>'
        f'<div class="footer"><p><a href="/gywm/">关于我们</a> | <a href="/wzdt/">网站地图</a> | '
        f'<a href="/lxwm/">联系我们</a></p>'
        f"<p>版权所有：{name}办公室 主办：{name}办公室 承办：{name[:-5]}市大数据中心</p>"
        f"<p>地址：{name[:-5]}市{rng.choice(('东宝区', '高新区', '城南新区'))}"
        f"{rng.choice(('象山大道', '长宁大道', '人民路'))}{rng.randint(1, 300)}号 "
        f"邮编：{rng.randint(430000, 449999)} 联系电话：0724-{rng.randint(2000000, 8999999)}</p>"
        f"<p>鄂ICP备{rng.randint(10000000, 99999999)}号-1 鄂公网安备 "
        f"{rng.randint(42080000000000, 42089999999999)}号 网站标识码："
        f"{rng.randint(4208000000, 4208999999)}</p></div>"
    )


_CSS_PROPS = (
    "color:#{c}",
    "background:#{c}",
    "margin:0 {n}px",
    "padding:{n}px {m}px",
    "font-size:{f}px",
    "line-height:{l}px",
    "border-bottom:1px solid #{c}",
    "width:{w}px",
    "height:{h}px",
    "float:left",
    "overflow:hidden",
    "text-align:center",
    "display:block",
    "position:relative",
)


def _css_rule(rng: random.Random, index: int) -> str:
    selector = rng.choice(
        (
            ".nav-list li a",
            ".sub-menu ul li",
            ".news-list li span",
            ".sidebar h3",
            ".footer p",
            ".article-con p",
            ".location a",
            ".hot-news li",
            ".banner img",
            ".search-box input",
        )
    )
    props = ";".join(
        rng.choice(_CSS_PROPS).format(
            c=f"{rng.getrandbits(24):06x}",
            n=rng.randint(0, 30),
            m=rng.randint(0, 30),
            f=rng.randint(12, 24),
            l=rng.randint(18, 40),
            w=rng.randint(20, 1200),
            h=rng.randint(20, 600),
        )
        for _ in range(rng.randint(3, 8))
    )
    return f".m{index}{selector}{{{props}}}"


def _js_chunk(rng: random.Random, index: int) -> str:
    name = rng.choice(("doZoom", "slidePlay", "tabSwitch", "shareTo", "wzaInit", "countVisit"))
    body = ";".join(
        rng.choice(
            (
                "var el{n}=document.getElementById('box{n}')",
                "if(!el{n}){{return false}}",
                "el{n}.style.display=(el{n}.style.display=='none')?'block':'none'",
                "for(var i=0;i<{n};i++){{items[i].className=items[i].className.replace('on','')}}",
                "setTimeout(function(){{slidePlay_{n}(idx+1)}},{t})",
                "$('.tab-hd li').eq({n}).addClass('cur').siblings().removeClass('cur')",
                "_hmt.push(['_trackEvent','nav','click','item{n}'])",
                "window.open('http://www.gov.cn/share?url='+encodeURIComponent(location.href))",
            )
        ).format(n=rng.randint(0, 99), t=rng.randint(1000, 8000))
        for _ in range(rng.randint(6, 30))
    )
    return f"/* {name} {index} */ function {name}_{index}(idx,items){{{body}}}"


def _pad(pool: list[str], ends: list[int], rng: random.Random, size: int) -> str:
    """A run of ``pool`` entries about ``size`` characters long, from a random start."""
    if size <= 0:
        return ""
    total = ends[-1]
    size = min(size, total)
    start = rng.randrange(len(pool))
    offset = ends[start - 1] if start else 0
    if offset + size <= total:
        stop = bisect_left(ends, offset + size)
        return "\n".join(pool[start : stop + 1])
    stop = bisect_left(ends, offset + size - total)
    return "\n".join(pool[start:] + pool[: stop + 1])


# -- pages -----------------------------------------------------------------------------------


def render_article(
    style: SiteStyle, spec: ArticleSpec, hot: list[ArticleSpec], target_bytes: int
) -> bytes:
    """The article page's bytes (in ``spec.encoding``), padded to about ``target_bytes``."""
    rng = random.Random(spec.seed)
    writer = Writer(rng, style.city)
    paragraphs = writer.body(spec.published, spec.kind, rng.randint(350, 2000))
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    stamp = f"{spec.published:%Y-%m-%d %H:%M}"
    main = (
        f'<div class="location">当前位置：<a href="/">首页</a> &gt; <a href="/news/">新闻中心</a>'
        f' &gt; <a href="/news/">政务要闻</a></div><div class="main clearfix">'
        f"{_sidebar('sidebar-left', '热点新闻', hot[:8])}"
        f'<div class="article"><h1>{escape(spec.title)}</h1>'
        f'<div class="info">发布时间：{stamp}&nbsp;&nbsp;来源：{escape(spec.origin)}'
        f'<span class="fontsize">字号：<a href="javascript:doZoom(16)">大</a> '
        f'<a href="javascript:doZoom(14)">中</a> <a href="javascript:doZoom(12)">小</a></span>'
        f'<a href="javascript:window.print()">打印</a></div>'
        f'<div class="article-con"><div class="TRS_Editor">{body}</div></div>'
        f'<div class="share">分享到：<a href="javascript:shareTo(1)">微信</a>'
        f'<a href="javascript:shareTo(2)">微博</a></div></div>'
        f"{_sidebar('sidebar-right', '相关新闻', hot[8:16])}</div>"
    )
    meta = ""
    if rng.random() < 0.5:
        meta = (
            f'<meta name="ArticleTitle" content="{escape(spec.title)}">'
            f'<meta name="PubDate" content="{stamp}"><meta name="ContentSource" '
            f'content="{escape(spec.origin)}">'
        )
    title = f"{spec.title}_{style.name}"
    return _page(style, rng, spec.encoding, title, meta, main, target_bytes)


def render_list(
    style: SiteStyle,
    items: list[ArticleSpec],
    *,
    page: int,
    pages: int,
    hot: list[ArticleSpec],
    target_bytes: int,
    seed: int,
    base: str = "/news",
) -> bytes:
    """List page ``page`` (0-based: index.html, index_1.html...) of ``pages``, UTF-8."""
    rng = random.Random(seed)
    rows = "".join(
        f'<li><a href=".{spec.path[len(base) :]}" target="_blank" title="{escape(spec.title)}">'
        f"{escape(spec.title)}</a><span>{spec.published:%Y-%m-%d}</span></li>"
        for spec in items
    )
    main = (
        f'<div class="location">当前位置：<a href="/">首页</a> &gt; <a href="{base}/">新闻中心</a>'
        f'</div><div class="main clearfix">{_sidebar("sidebar-left", "热点新闻", hot[:8])}'
        f'<div class="list-box"><h2 class="list-title">政务要闻</h2><ul class="news-list">{rows}'
        f"</ul>{_pager(page, pages)}</div></div>"
    )
    return _page(style, rng, "utf-8", f"政务要闻_{style.name}", "", main, target_bytes)


def _pager(page: int, pages: int) -> str:
    """TRS's script pager plus plain links, as TRS templates print both."""
    script = (
        f'<script type="text/javascript">var currentPage = {page};var countPage = {pages};'
        f'createPageHTML({pages}, {page}, "index", "html");</script>'
    )
    links = ['<a href="index.html">首页</a>']
    if page > 0:
        links.append(f'<a href="{_list_name(page - 1)}">上一页</a>')
    if page + 1 < pages:
        links.append(f'<a href="{_list_name(page + 1)}">下一页</a>')
    links.append(f'<a href="{_list_name(pages - 1)}">尾页</a>')
    return f'<div class="page">{script}<noscript>{"".join(links)}</noscript>{"".join(links)}</div>'


def _list_name(page: int) -> str:
    return "index.html" if page == 0 else f"index_{page}.html"


def list_path(page: int, base: str = "/news") -> str:
    return f"{base}/{_list_name(page)}"


def _sidebar(css_class: str, heading: str, specs: list[ArticleSpec]) -> str:
    rows = "".join(
        f'<li><a href="{spec.path}" title="{escape(spec.title)}">{escape(spec.title[:18])}</a>'
        f'<span class="date">{spec.published:%Y-%m-%d}</span></li>'
        for spec in specs
    )
    return f'<div class="{css_class}"><div class="hot-news"><h3>{heading}</h3><ul>{rows}</ul></div></div>'


def _page(
    style: SiteStyle,
    rng: random.Random,
    encoding: str,
    title: str,
    meta: str,
    main: str,
    target_bytes: int,
) -> bytes:
    if encoding == "gbk":
        charset = rng.choice(
            (
                '<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />',
                '<meta charset="gbk">',
            )
        )
    else:
        charset = '<meta charset="utf-8">'
    head = f"<!DOCTYPE html><html><head>{charset}<title>{escape(title)}</title>{meta}"
    rest = (
        f'<body><div class="top-bar">今天是{rng.choice(("星期一", "星期三", "星期五"))} '
        f'<a href="/wza/">无障碍浏览</a> <a href="/english/">English</a></div>'
        f'<div class="header"><div class="logo"><a href="/"><img src="/images/logo.png" '
        f'alt="{style.name}"></a></div>{style.nav_html}</div>{main}{style.footer_html}'
        f'<script src="/js/jquery.min.js"></script></body></html>'
    )
    head_bytes = head.encode(encoding, "xmlcharrefreplace")
    rest_bytes = rest.encode(encoding, "xmlcharrefreplace")
    room = max(0, target_bytes - len(head_bytes) - len(rest_bytes) - 60)
    css_share = rng.uniform(0.3, 0.6)
    css = _pad(style.css_rules, style.css_ends, rng, int(room * css_share))
    js = _pad(style.js_chunks, style.js_ends, rng, room - len(css))
    padding = f"<style>{css}</style><script>{js}</script></head>".encode()
    return head_bytes + padding + rest_bytes


# -- writing a site --------------------------------------------------------------------------


class SiteWriter:
    """Mirrors pages under ``root`` and records them for ``bench/httpserve.py``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.hosts: dict[str, dict[str, list[str]]] = {}
        self.bytes_written = 0

    def add(self, path: str, content_type: str, body: bytes, *, kind: str, host: str = "*") -> None:
        folder = "_any" if host == "*" else host
        relative = f"{folder}{path}"
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        self.hosts.setdefault(host, {})[path] = [content_type, relative, kind]
        self.bytes_written += len(body)

    def save(self) -> Path:
        manifest = self.root / "manifest.json"
        manifest.write_text(json.dumps({"classify": CLASSIFY, "hosts": self.hosts}))
        return manifest


def page_size(rng: random.Random) -> int:
    return rng.randint(MIN_PAGE_BYTES, MAX_PAGE_BYTES)


def write_news_site(
    writer: SiteWriter,
    style: SiteStyle,
    specs: list[ArticleSpec],
    *,
    rng: random.Random,
    per_page: int = 50,
    host: str = "*",
    with_articles: bool = True,
) -> int:
    """robots.txt, the list pages and (optionally) the article pages; returns the list count."""
    writer.add("/robots.txt", "text/plain", ROBOTS_TXT, kind="robots", host=host)
    pages = max(1, -(-len(specs) // per_page))
    hot = specs[: min(len(specs), 16)]
    for page in range(pages):
        items = specs[page * per_page : (page + 1) * per_page]
        body = render_list(
            style,
            items,
            page=page,
            pages=pages,
            hot=hot,
            target_bytes=page_size(rng),
            seed=rng.getrandbits(32),
        )
        writer.add(list_path(page), "text/html; charset=utf-8", body, kind="list", host=host)
    if with_articles:
        for index, spec in enumerate(specs):
            related = _related(specs, index, rng)
            body = render_article(style, spec, related, page_size(rng))
            writer.add(spec.path, spec.content_type, body, kind="article", host=host)
    return pages


def _related(specs: list[ArticleSpec], index: int, rng: random.Random) -> list[ArticleSpec]:
    """Sidebar entries: other articles of the site, with their own (different) dates."""
    others = [specs[rng.randrange(len(specs))] for _ in range(16)]
    return [spec for spec in others if spec.number != index] or specs[:1]
