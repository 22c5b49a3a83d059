"""Plausible Chinese news text for the benchmark sites: titles, reports and notices.

Everything is drawn from a seeded ``random.Random`` so a site is reproducible; sentences are filled
templates about city forums, urban renewal and government notices, varied enough that no two
pages share their body. Only characters that GBK can encode are used.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime

CITIES = [
    "荆门",
    "宜昌",
    "襄阳",
    "十堰",
    "株洲",
    "湘潭",
    "岳阳",
    "常德",
    "洛阳",
    "开封",
    "许昌",
    "南阳",
    "芜湖",
    "蚌埠",
    "安庆",
    "赣州",
    "九江",
    "上饶",
    "泉州",
    "漳州",
    "莆田",
    "绵阳",
    "德阳",
    "宜宾",
    "泸州",
    "遵义",
    "曲靖",
    "柳州",
    "桂林",
    "包头",
    "榆林",
    "宝鸡",
    "咸阳",
    "天水",
    "烟台",
    "潍坊",
    "临沂",
    "济宁",
    "徐州",
    "常州",
    "南通",
    "扬州",
    "嘉兴",
    "湖州",
    "绍兴",
    "金华",
    "台州",
    "温州",
    "昆山",
    "太原",
]
EVENTS = [
    "城市发展论坛",
    "市长论坛",
    "城市更新峰会",
    "城投产业发展大会",
    "国土空间规划年会",
    "新型城镇化高峰论坛",
    "智慧城市博览会",
    "城市规划学术年会",
    "城市基础设施投融资洽谈会",
    "历史文化名城保护研讨会",
    "都市圈协同发展论坛",
    "县域经济发展大会",
    "产城融合发展论坛",
    "城市设计专题研讨会",
    "新型城市论坛",
]
TOPICS = [
    "老旧小区改造",
    "城中村改造",
    "海绵城市建设",
    "地下综合管廊建设",
    "城市燃气管道更新改造",
    "完整社区建设",
    "十五分钟便民生活圈",
    "历史文化街区保护利用",
    "城市体检",
    "保障性住房建设",
    "城市生命线安全工程",
    "口袋公园建设",
    "城市绿道网络建设",
    "背街小巷整治",
    "闲置低效用地盘活",
    "片区综合开发",
    "夜间经济发展",
    "公共停车设施建设",
    "智慧城管建设",
    "城乡融合发展",
    "装配式建筑推广",
    "既有建筑节能改造",
    "城市排水防涝",
    "低空经济发展",
]
THEMES = (
    "共建宜居韧性智慧城市",
    "城市更新与高质量发展",
    "以人民为中心推进新型城镇化",
    "数字赋能城市治理",
    "存量时代的城市更新路径",
    "产城融合·场景营城",
    "绿色发展——生态宜居与产业转型",
    "发展新质生产力 推动城市创新发展",
    "开放、合作、共赢",
    "人民城市人民建 人民城市为人民",
)
ORGS = (
    "中国城市规划学会",
    "中国城市科学研究会",
    "住房和城乡建设部",
    "国家发展改革委",
    "省住房和城乡建设厅",
    "清华大学建筑学院",
    "同济大学建筑与城市规划学院",
    "中国城市规划设计研究院",
    "中国城市发展研究会",
    "全国市长研修学院",
    "商务部投资促进事务局",
    "省自然资源厅",
)
POSTS = (
    "市委书记",
    "市长",
    "常务副市长",
    "副市长",
    "市政协主席",
    "市人大常委会主任",
    "市住建局局长",
    "市自然资源和规划局局长",
    "市发改委主任",
    "市城管委主任",
    "区委书记",
    "县长",
)
SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林罗高郑梁谢宋唐韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程"
GIVEN = [
    "建国",
    "志强",
    "海涛",
    "晓明",
    "丽华",
    "卫东",
    "国平",
    "文斌",
    "红梅",
    "振华",
    "永刚",
    "雪梅",
    "立新",
    "俊杰",
    "春燕",
    "德明",
    "玉兰",
    "宏伟",
    "子涵",
    "思远",
    "昊",
    "军",
    "勇",
    "敏",
    "静",
    "磊",
    "洋",
    "伟",
    "芳",
    "娜",
]
PLACES = (
    "城市规划展览馆",
    "老城区改造现场",
    "滨江公园",
    "高新区科创中心",
    "城南片区安置房项目",
    "历史文化街区",
    "国际会展中心",
    "智慧城市运营中心",
    "污水处理厂提标改造项目",
    "城东综合管廊",
    "市民中心",
)
VERBS = (
    "坚持规划引领",
    "强化要素保障",
    "创新投融资模式",
    "完善体制机制",
    "压实工作责任",
    "加强统筹协调",
    "突出问题导向",
    "注重群众参与",
    "加快项目建设进度",
    "提升精细化管理水平",
    "守牢安全底线",
    "推动政策落地见效",
    "健全长效管护机制",
    "深化区域合作",
)
QUALITIES = (
    "宜居水平",
    "治理效能",
    "综合承载能力",
    "安全韧性",
    "品质和活力",
    "核心竞争力",
    "人居环境质量",
)
FIELDS = (
    "城市更新",
    "新能源",
    "数字经济",
    "文化旅游",
    "现代物流",
    "生物医药",
    "先进制造",
    "基础设施",
)
ORIGIN_SUFFIXES = ("市人民政府", "日报", "市住房和城乡建设局", "市发展和改革委员会", "市融媒体中心")
NUMERALS = "一二三四五六七八九十"


class Writer:
    """Titles and bodies for one page; every choice comes from the given ``rng``."""

    def __init__(self, rng: random.Random, city: str) -> None:
        self.rng = rng
        self.city = city

    # -- small random pieces ---------------------------------------------------------------------

    def pick(self, items: tuple[str, ...] | list[str]) -> str:
        return items[self.rng.randrange(len(items))]

    def person(self) -> str:
        return f"{self.pick(POSTS)}{self.rng.choice(SURNAMES)}{self.pick(GIVEN)}"

    def other_city(self) -> str:
        return self.pick(CITIES)

    def amount(self) -> str:
        return f"{self.rng.randint(2, 480)}.{self.rng.randint(1, 9)}"

    def origin(self) -> str:
        if self.rng.random() < 0.15:
            return self.pick(("新华网", "人民网", "中国城市报", "本网"))
        return f"{self.city}{self.pick(ORIGIN_SUFFIXES)}"

    # -- titles ----------------------------------------------------------------------------------

    def title(self, when: datetime) -> tuple[str, str]:
        """(title, kind) where kind is 'news' or 'notice'."""
        year, topic, event = when.year, self.pick(TOPICS), self.pick(EVENTS)
        if self.rng.random() < 0.25:
            choices = (
                f"关于开展{year}年度{topic}工作的通知",
                f"{self.city}市人民政府办公室关于印发《{self.city}市{topic}三年行动方案"
                f"（{year}—{year + 2}年）》的通知",
                f"关于公布{year}年第{self.rng.randint(1, 4)}批{topic}项目名单的公告",
                f"{self.city}市{topic}实施细则（征求意见稿）公开征求意见的通知",
            )
            return self.pick(choices), "notice"
        choices = (
            f"{year}{self.city}{event}开幕",
            f"第{self.rng.randint(2, 15)}届{event}在{self.city}举行",
            f"{self.person()}调研{topic}工作",
            f"我市召开{topic}推进会",
            f"{self.city}：以{topic}为抓手 推动城市高质量发展",
            f"“{self.pick(THEMES)}”{event}成功举办",
            f"{self.city}市{topic}工作取得阶段性成效",
            f"{event}｜开展对话交流 共话“{self.pick(THEMES)}”",
        )
        return self.pick(choices), "news"

    # -- bodies ----------------------------------------------------------------------------------

    def body(self, when: datetime, kind: str, target_chars: int) -> list[str]:
        """Paragraphs of about ``target_chars`` characters."""
        if kind == "notice":
            return self._notice(when, target_chars)
        return self._report(when, target_chars)

    def _report(self, when: datetime, target_chars: int) -> list[str]:
        paragraphs = [self._opening(when)]
        size = len(paragraphs[0])
        while size < target_chars and len(paragraphs) < 60:
            count = self.rng.randint(2, 5)
            paragraph = "".join(self._sentence(when) for _ in range(count))
            paragraphs.append(paragraph)
            size += len(paragraph)
        if self.rng.random() < 0.3:
            paragraphs.append(f"（{self.rng.choice(SURNAMES)}{self.pick(GIVEN)}）")
        return paragraphs

    def _opening(self, when: datetime) -> str:
        event = self.pick(EVENTS)
        return (
            f"{when.month}月{when.day}日{self.pick(('上午', '下午', ''))}，{when.year}{self.city}"
            f"{event}在{self.city}{self.pick(PLACES)}开幕。本次{event[-2:]}以“{self.pick(THEMES)}”"
            f"为主题，吸引了来自全国{self.rng.randint(8, 60)}个城市的{self.rng.randint(2, 9)}00余名"
            f"代表参加。"
        )

    def _sentence(self, when: datetime) -> str:
        template = self.rng.choice(_SENTENCES)
        return template(self, when)

    def _notice(self, when: datetime, target_chars: int) -> list[str]:
        topic = self.pick(TOPICS)
        paragraphs = [
            "各县（市、区）人民政府，市政府各部门：",
            f"为深入贯彻落实党中央、国务院关于{self.pick(TOPICS)}的决策部署，加快推进{topic}，"
            f"经市政府同意，现就有关事项通知如下。",
        ]
        headings = ("工作目标", "重点任务", "实施步骤", "保障措施", "工作要求", "监督考核")
        size = sum(map(len, paragraphs))
        index = 0
        while size < target_chars and index < len(headings) * 3:
            heading = f"{NUMERALS[index % 10]}、{headings[index % len(headings)]}"
            text = "".join(self._sentence(when) for _ in range(self.rng.randint(2, 4)))
            paragraphs += [heading, text]
            size += len(heading) + len(text)
            index += 1
        paragraphs.append(f"{self.city}市人民政府办公室")
        paragraphs.append(f"{when.year}年{when.month}月{when.day}日")
        return paragraphs


def _s_speech(w: Writer, when: datetime) -> str:
    return (
        f"{w.person()}指出，{w.pick(TOPICS)}是提升城市{w.pick(QUALITIES)}的重要抓手，要"
        f"{w.pick(VERBS)}，{w.pick(VERBS)}。"
    )


def _s_report(w: Writer, when: datetime) -> str:
    return (
        f"会上，{w.pick(ORGS)}发布了《{when.year}中国{w.pick(TOPICS)}发展报告》，并就"
        f"{w.pick(TOPICS)}等议题进行了深入交流。"
    )


def _s_figures(w: Writer, when: datetime) -> str:
    return (
        f"据了解，今年以来{w.city}累计完成{w.pick(TOPICS)}项目{w.rng.randint(3, 300)}个，总投资"
        f"{w.amount()}亿元，惠及居民{w.rng.randint(1, 40)}.{w.rng.randint(1, 9)}万户。"
    )


def _s_experts(w: Writer, when: datetime) -> str:
    return (
        f"与会专家认为，{w.city}在{w.pick(TOPICS)}方面的探索，为{w.other_city()}等同类城市提供了"
        f"可复制、可推广的经验。"
    )


def _s_next(w: Writer, when: datetime) -> str:
    return (
        f"下一步，{w.city}将围绕{w.pick(TOPICS)}，{w.pick(VERBS)}，{w.pick(VERBS)}，切实提升城市"
        f"{w.pick(QUALITIES)}。"
    )


def _s_stress(w: Writer, when: datetime) -> str:
    return f"{w.person()}强调，各级各部门要{w.pick(VERBS)}，{w.pick(VERBS)}，确保各项任务落地见效。"


def _s_forums(w: Writer, when: datetime) -> str:
    return (
        f"论坛期间，还举办了{w.rng.randint(2, 9)}场平行分论坛，分别聚焦{w.pick(TOPICS)}、"
        f"{w.pick(TOPICS)}和{w.pick(TOPICS)}。"
    )


def _s_signing(w: Writer, when: datetime) -> str:
    return (
        f"现场集中签约项目{w.rng.randint(3, 60)}个，签约金额{w.amount()}亿元，涉及{w.pick(FIELDS)}、"
        f"{w.pick(FIELDS)}等领域。"
    )


def _s_visit(w: Writer, when: datetime) -> str:
    return (
        f"{w.person()}一行先后来到{w.pick(PLACES)}和{w.pick(PLACES)}，实地察看{w.pick(TOPICS)}推进"
        f"情况，详细了解项目进度和群众诉求。"
    )


def _s_policy(w: Writer, when: datetime) -> str:
    return (
        f"按照《{w.city}市{w.pick(TOPICS)}专项规划（{when.year - 1}—{when.year + 4}年）》，到"
        f"{when.year + 2}年底，全市将基本完成{w.rng.randint(2000, 2015)}年底前建成的"
        f"{w.pick(TOPICS)}任务。"
    )


def _s_residents(w: Writer, when: datetime) -> str:
    name = f"{w.rng.choice(SURNAMES)}{w.pick(('大爷', '阿姨', '女士', '先生'))}"
    return f"“以前{w.pick(('路窄车多', '雨天积水', '管网老化', '停车难'))}，现在好多了。”居民{name}说。"


def _s_dialogue(w: Writer, when: datetime) -> str:
    return (
        f"{w.other_city()}{w.pick(POSTS)}{w.rng.choice(SURNAMES)}{w.pick(GIVEN)}表示，"
        f"{w.other_city()}作为一座{w.pick(('产业科创', '历史文化', '生态宜居', '开放包容'))}城市，"
        f"在{w.pick(TOPICS)}上有独特优势，可以用“{w.pick(('创新', '人才', '生态', '开放'))}”来概括。"
    )


def _s_requirement(w: Writer, when: datetime) -> str:
    return (
        f"各地要于{when.year}年{w.rng.randint(1, 12)}月底前将{w.pick(TOPICS)}工作进展情况报送市"
        f"{w.pick(('住房和城乡建设局', '发展和改革委员会', '自然资源和规划局', '城市管理局'))}，"
        f"联系电话：0{w.rng.randint(710, 799)}-{w.rng.randint(2000000, 8999999)}。"
    )


_SENTENCES: tuple[Callable[[Writer, datetime], str], ...] = (
    _s_speech,
    _s_report,
    _s_figures,
    _s_experts,
    _s_next,
    _s_stress,
    _s_forums,
    _s_signing,
    _s_visit,
    _s_policy,
    _s_residents,
    _s_dialogue,
    _s_requirement,
)
