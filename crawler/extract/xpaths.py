"""Every XPath expression of the extraction stage, in one place (as trafilatura does).

No settings read. Expressions are compiled once at import. ``CONTENT_CONTAINERS`` lists the
article containers of the CMSs that Chinese government, city and association sites run (TRS,
Hanweb/大汉, 政府网站集约化 platforms, WordPress-like themes), most specific first, as data
matched in one pass; the extraction stage takes the first one that holds enough body text.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml.etree import XPath


@dataclass(frozen=True)
class ContainerRule:
    """What marks one kind of article container: exact class tokens or ids, class substrings,
    tag names or ``itemprop`` values. Matched in Python in one pass over the tree (an XPath with
    dozens of ``contains()`` tests costs ~15 ms on a 100 KB page)."""

    names: frozenset[str] = frozenset()  # exact class token or id
    class_substrings: tuple[str, ...] = ()
    tags: frozenset[str] = frozenset()
    itemprops: frozenset[str] = frozenset()


# Specific CMS containers, most specific first; the first rule with a match that holds enough
# unlinked text wins.
CONTENT_CONTAINERS: tuple[ContainerRule, ...] = (
    # TRS WCM: the editor's own div holds exactly the article body
    ContainerRule(
        class_substrings=("TRS_Editor", "TRS_UEDITOR", "trs_editor", "trs_paper_default")
    ),
    # Hanweb / 集约化 platforms / gov.cn
    ContainerRule(
        names=frozenset(
            [
                "UCAP-CONTENT",
                "zoom",
                "Zoom",
                "fontzoom",
                "fontZoom",
                "ZoomSpan",
                "zoomcon",
                "BodyLabel",
                "ozoom",
                "artibody",
                "ContentRegion",
                "js_content",
            ]
        ),
        class_substrings=("pages_content",),
    ),
    ContainerRule(itemprops=frozenset({"articleBody"})),
    ContainerRule(
        names=frozenset(
            [
                "article-content",
                "article_content",
                "articleContent",
                "article-body",
                "article_body",
                "articleBody",
                "article-text",
                "arti_content",
                "art_content",
                "artContent",
                "news_content",
                "newsContent",
                "news-content",
                "news_txt",
                "newsText",
                "news-text",
                "news_con",
                "detail-content",
                "detail_content",
                "detailContent",
                "details-content",
                "content-detail",
                "content_detail",
                "contentDetail",
                "content-text",
                "content_text",
                "contentText",
                "text-content",
                "text_content",
                "con_text",
                "conText",
                "con-text",
                "cont_txt",
                "wz_content",
                "wzcon",
                "xl_content",
                "xlcontent",
                "zwnr",
                "zw",
                "nr_con",
                "main-text",
                "maintext",
                "entry-content",
                "post-content",
                "post_content",
                "single-content",
                "view_content",
                "info_content",
                "infoContent",
                "txt_content",
                "Custom_UnionStyle",
                "my_doccontent",
                "font_txt_zw",
                "bt_content",
                "article_con",
                "newsCon",
                "news_main",
            ]
        )
    ),
)
# Generic containers: accepted only when they hold the page's densest block of paragraphs.
GENERIC_CONTAINERS: tuple[ContainerRule, ...] = (
    ContainerRule(tags=frozenset({"article"})),
    ContainerRule(names=frozenset({"content", "Content", "main-content", "main_content"})),
)
# Elements that may match a container rule (one XPath pass).
CONTAINER_CANDIDATES = XPath("//*[@class or @id or @itemprop] | //article")


TITLE = XPath("//title")
META = XPath("//meta")
INLINE_SCRIPTS = XPath("//script[not(@src) and not(@type='application/ld+json')]/text()")
JSON_LD = XPath("//script[@type='application/ld+json']/text()")
BASE_HREF = XPath("//base/@href")
LINKS = XPath("//a[@href]")
BODY = XPath("//body")
# An old forum's thread headline stated with its label: ``主题：X``, ``标题：X``, ``帖子主题：X``
# (``crawler.extract.metadata.headline_value`` takes the label off).
_LABELLED = (
    " | //*[not(self::title) and not(self::a) and not(self::script) and text()["
    "starts-with(normalize-space(.), '主题') or starts-with(normalize-space(.), '标题')"
    " or starts-with(normalize-space(.), '帖子主题') or starts-with(normalize-space(.), '帖子标题')]]"
)
# Candidate article titles: headings, elements whose class/id names a title, labelled headlines.
# (a forum thread's subject: Discuz's ``span#thread_subject``, phpwind's ``#subject_tpc``)
HEADINGS = XPath(
    "//h1 | //h2 | //h3 | //*[not(self::title) and not(self::a)"
    " and (contains(@class, 'title') or contains(@class, 'Title') or contains(@id, 'title')"
    " or contains(@class, 'biaoti') or contains(@class, 'bt') or contains(@id, 'Title')"
    " or contains(@id, 'subject'))]" + _LABELLED
)
# Elements a headline may be set in, linked or not (a permalinked ``<h2><a>``, ``<font><b>``).
HEADLINE_CANDIDATES = XPath(
    "//h1 | //h2 | //h3 | //h4 | //h5 | //b | //strong | //font | //*[not(self::title) and not(self::a)"
    " and (contains(@class, 'title') or contains(@class, 'Title') or contains(@id, 'title')"
    " or contains(@class, 'biaoti') or contains(@id, 'Title') or contains(@id, 'subject'))]"
    + _LABELLED
)
# Elements that may be hidden by their own attributes (``crawler.extract.hidden`` reads the styles).
STYLED_OR_HIDDEN = XPath("//*[@style or @hidden]")
# Style sheets of the page itself (``crawler.extract.hidden`` keeps those for every screen).
STYLE_SHEETS = XPath("//style")
# Elements a style rule's rightmost compound may match, by class, id or tag.
BY_CLASS = XPath(
    "//*[contains(concat(' ', normalize-space(@class), ' '), concat(' ', $name, ' '))]"
)
BY_ID = XPath("//*[@id = $name]")
BY_TAG = XPath("//*[local-name() = $name]")
# An element's text as a reader sees it: script and style text is no text (a heading holding a
# ``document.write`` script, a link with an inline handler block).
VISIBLE_TEXT = XPath(
    ".//text()[not(ancestor::script or ancestor::style or ancestor::noscript"
    " or ancestor::template)]"
)
WITH_CLASS_OR_ID = XPath("//*[@class or @id]")
# A login form's password field (read before form controls are removed).
PASSWORD_FIELDS = XPath("//input[translate(@type, 'PASSWORD', 'password') = 'password']")
# Text nodes that may hold a posting time (a post's byline: ``发表于 2008-4-12 10:21``).
CLOCK_TEXTS = XPath(
    "//text()[contains(., ':') or contains(., '：') or contains(., '时') or contains(., '于')"
    " or contains(., 'osted')]"
)
# Inline elements whose title attribute may spell out the time their text gives relatively
# (Discuz!: ``<span title="2013-5-4 21:35">3 天前</span>``).
TITLED_INLINE = XPath("//span[@title] | //em[@title] | //abbr[@title] | //font[@title]")
# Elements that news CMSs mark up for search engines (``<span id="pubtime_baidu">``).
PUBTIME_NODES = XPath(
    "//*[@id='pubtime_baidu' or @id='pubtime' or @id='pubTime' or @id='publish_time'"
    " or @id='publishTime' or @id='p_publishtime' or @id='fbsj' or @itemprop='datePublished'"
    " or (self::time and @pubdate)][not(ancestor::li)]"
)
SOURCE_NODES = XPath("//*[@id='source_baidu' or @id='source' or @id='copyfrom'][not(ancestor::li)]")
AUTHOR_NODES = XPath(
    "//*[@id='author_baidu' or @id='author' or @itemprop='author'][not(ancestor::li)]"
)
