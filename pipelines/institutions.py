"""One canonical name and a type for every visiting institution.

``identify(name)`` gives ``Org(canonical, org_type)``. The knowledge is data the project owns,
``pipelines/data/institutions.csv`` (canonical name, type, every written form seen), plus rules
for names the table does not hold:

- written forms are compared as keys: full-width and traditional characters folded (OpenCC),
  spaces, brackets and punctuation dropped, Latin lower-cased;
- registered-name suffixes (股份有限公司, 有限责任公司, （有限合伙）…) and a city in front
  (上海, 深圳…) are tried off as well, and 资管 is 资产管理;
- a name cut short at the end of a line (``北京源乐晟资``) matches the one table name it begins;
- what is still unknown is typed by the words it ends with (证券, 基金, 资管, 保险, 银行, 理财,
  信托, 期货, 投资/资产/资本/私募…) and by being written in Latin letters (海外机构), and is its
  own canonical (suffixes, 管理 and a city removed). No fuzzy matching beyond that: 华泰证券
  and 华泰柏瑞基金 differ by a few characters and are not one institution.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

TABLE = Path(__file__).resolve().parent / "data" / "institutions.csv"

TYPES = (
    "证券公司",
    "基金管理公司",
    "私募基金",
    "保险公司",
    "银行理财",
    "信托公司",
    "期货公司",
    "海外机构",
    "投资公司",
    "个人",
    "其他",
)

_LEGAL = re.compile(
    r"(股份有限公司|有限责任公司|有限公司|股份公司|合伙企业|（有限合伙）|\(有限合伙\)|有限合伙"
    r"|集团股份有限公司|co\.?,?\s*ltd\.?|limited|ltd\.?|inc\.?|llc|l\.p\.|lp|plc|corporation|corp\.?)$",
    re.I,
)
_MANAGEMENT = re.compile(r"(资产|投资|基金|私募基金|私募证券投资基金|股权投资|创业投资)管理$")
_CITY = re.compile(
    r"^(北京|上海|深圳|广州|杭州|宁波|珠海|天津|重庆|南京|苏州|成都|武汉|西安|长沙|厦门|青岛|济南|福州|"
    r"合肥|郑州|海南|海口|三亚|西藏|新疆|拉萨|宁夏|广东|浙江|江苏|山东|湖南|湖北|四川|福建|安徽|"
    r"河南|江西|云南|贵州|广西|东莞|佛山|无锡|常州|绍兴|温州|嘉兴|湖州|舟山|横琴|前海|平潭)(市)?"
)
# what names a kind of institution, not one institution: a city in front of it stays
_KIND_ONLY = re.compile(
    r"(证券|银行|信托|期货|人寿|财险|保险|资产|资管|资产管理|投资|资本|基金|基金管理|理财|国投|"
    r"大学|国际|控股|集团|农商行|农村商业银行)"
)
_DROP = re.compile(r"[\s\u3000·•・,，.。、;；:：'\"“”‘’()（）\[\]【】<>《》&＆/\\\-—_]+")


@dataclass(frozen=True)
class Org:
    canonical: str
    org_type: str


def key(name: str) -> str:
    """The form names are compared in: folded width and script, no spaces or punctuation."""
    return _fold(_to_simplified(unicodedata.normalize("NFKC", name or "")))


def _fold(text: str) -> str:
    """``key`` of a text already NFKC-normalized and simplified."""
    return _DROP.sub("", text).lower()


@cache
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def _to_simplified(text: str) -> str:
    return _converter().convert(text) if re.search(r"[\u4e00-\u9fff]", text) else text


def _cores(name: str, simplified: bool = False) -> list[str]:
    """The keys a name may be known by, most specific first: as written, without its legal
    suffix, without 管理, with 资产管理 said as 资管, without a city in front (the city and the
    abbreviation are not both taken: 上海财通资产管理 is not 财通资管). ``simplified``: ``name``
    is NFKC-normalized and simplified already."""
    text = (name if simplified else unicodedata.normalize("NFKC", name or "")).strip()
    if not simplified:
        text = _to_simplified(text)
    forms = [text]
    bare = text
    for _ in range(3):
        bare = _LEGAL.sub("", bare.strip(" ,.")).strip()
    forms.append(bare)
    forms.append(_MANAGEMENT.sub(lambda m: m.group(1), bare))
    written = list(forms)
    forms += [f.replace("资产管理", "资管") for f in written if "资产管理" in f]
    for form in written:
        m = _CITY.match(form)
        rest = form[m.end() :] if m else ""
        # the city is part of the name where what is left is only a kind (北京银行, 上海证券)
        if m and not _KIND_ONLY.fullmatch(_LEGAL.sub("", rest)) and not rest.endswith("银行"):
            forms.append(rest)
    out: list[str] = []
    for form in forms:
        k = _fold(form)
        if k and k not in out:
            out.append(k)
    return out


@cache
def _table() -> tuple[dict[str, Org], list[tuple[str, Org]]]:
    """Every written form's key -> its institution; and the keys sorted, for prefix lookups."""
    exact: dict[str, Org] = {}
    derived: dict[str, Org] = {}
    with TABLE.open(encoding="utf-8", newline="") as fh:
        rows = [
            (Org(row["canonical"].strip(), row["org_type"].strip()), form)
            for row in csv.DictReader(fh)
            for form in [row["canonical"], *(row.get("aliases") or "").split("|")]
        ]
    # Simplified in one call, not one per form: the table is built in 0.14 s instead of 0.23, in
    # every parse worker.
    forms = "\n".join(unicodedata.normalize("NFKC", form).replace("\n", " ") for _, form in rows)
    for (org, _), form in zip(rows, _converter().convert(forms).split("\n"), strict=True):
        keys = _cores(form, simplified=True)
        if keys:
            exact.setdefault(keys[0], org)
        for k in keys[1:]:
            derived.setdefault(k, org)
    # a form as written wins over one derived from another row (前海开源 does not claim 开源)
    by_key = {**derived, **exact}
    return by_key, sorted(by_key.items())


# For a name the table does not hold. The table lists every public fund company and broker, so
# an unknown 某某基金 is a private fund, and an unknown name with no kind word (a brand such as
# 富利永泰) is most likely one too: private managers are most of the visitors.
_TYPE_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(个人|个人投资者|自然人|散户|投资者|中小投资者|个人股东)$"), "个人"),
    (re.compile(r"(私募|股权投资|创业投资|创投|合伙|证券投资基金)"), "私募基金"),
    (re.compile(r"期货"), "期货公司"),
    (re.compile(r"信托"), "信托公司"),
    (re.compile(r"(保险|人寿|财险|寿险|养老|再保|保险资管|健康)"), "保险公司"),
    (re.compile(r"(银行|理财)"), "银行理财"),
    (re.compile(r"(证券|券商|证券资管|证券研究所|自营)"), "证券公司"),
    (
        re.compile(
            r"(报|网|社|财经|新闻|传媒|电视|研究院|研究中心|咨询|协会|学会|学院|大学|智库|政府|委员会)$"
        ),
        "其他",
    ),
    (
        re.compile(
            r"(集团|控股|实业|科技|产业|发展|建设|工业|能源|制造|电子|医药|汽车|租赁|国资|国投)$"
        ),
        "投资公司",
    ),
    # state and industrial capital: a group, a state fund or an industry in the name
    (
        re.compile(
            r"(集团|控股|实业|国资|国有|城投|产投|交通|铁路|机场|港口|能源|电力|建设|国投|科创|高新)"
        ),
        "投资公司",
    ),
    (re.compile(r"(投资|资产|资本|资管|财富|基金|管理|私募)"), "私募基金"),
    (re.compile(r"^[\u4e00-\u9fff]{2,8}$"), "私募基金"),
]
# names that say the institution is abroad, whatever its kind
_ABROAD = re.compile(
    r"(株式会社|加拿大|美国|日本|韩国|英国|澳大利亚|瑞士|新加坡|香港|台湾|\(HK\)|（HK）|\bPte\b|GmbH|\bAG\b)"
)
_OVERSEAS = re.compile(
    r"(香港|\(香港\)|（香港）|新加坡|国际|hong\s*kong|singapore|\bhk\b|international|asia)", re.I
)


def _rule_type(name: str) -> str:
    text = _to_simplified(unicodedata.normalize("NFKC", name)).strip()
    latin = sum(c.isascii() and c.isalpha() for c in text)
    cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
    if latin > 2 * cjk:
        return "海外机构"
    bare = re.sub(r"[（(][^）)]{1,8}[）)]", "", _LEGAL.sub("", text)).strip()  # (北京) said where
    for pattern, org_type in _TYPE_RULES:
        if pattern.search(bare):
            return org_type
    return "其他"


def _canonical(name: str) -> str:
    """A name's own canonical when the table does not know it: its legal suffix and 管理 off."""
    text = _to_simplified(unicodedata.normalize("NFKC", name)).strip()
    for _ in range(3):
        text = _LEGAL.sub("", text.strip(" ,.")).strip()
    text = _MANAGEMENT.sub(lambda m: m.group(1), text)
    m = _CITY.match(text)
    if m and not _KIND_ONLY.fullmatch(text[m.end() :]) and not text.endswith("银行"):
        text = text[m.end() :]  # 上海沣杨资产 is 沣杨资产
    brand = _BRAND_TAIL.sub("", text)
    known_family = bool(_prefixed(_table()[1], key(brand)))
    if len(brand) >= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", brand) and not known_family:
        text = brand  # 龙航资产, 龙航投资, 龙航私募: one manager, 龙航 (not 西部资管: 西部证券's)
    return re.sub(r"\s+", " ", text) if re.search(r"[A-Za-z]", text) else re.sub(r"\s+", "", text)


@lru_cache(maxsize=65536)  # the same visitors come again and again
def identify(name: str) -> Org:
    """The institution ``name`` denotes: from the table when it knows a form of it, else by
    the rules (see the module docstring)."""
    by_key, ordered = _table()
    cores = _cores(name)
    for k in cores:
        if k in by_key:
            return by_key[k]
    k = cores[-1] if cores else ""
    if len(k) >= 4 and re.search(r"[\u4e00-\u9fff]", k):
        begun = [org for _, org in _prefixed(ordered, k)]
        if begun and all(org == begun[0] for org in begun):
            return begun[0]  # 北京源乐晟资 -> 源乐晟资产: a name cut at the end of a line
    brand = key(name)
    if re.fullmatch(r"[\u4e00-\u9fff]{2}", brand):  # 东吴, 华夏 alone: the brand's main house
        for kind in ("证券", "基金", "银行", "保险", "人寿", "信托", "期货"):
            if (main := by_key.get(key(brand + kind))) is not None:
                return main
    org_type = _family_type(name, ordered) or _rule_type(name)
    if _ABROAD.search(name) or (org_type == "证券公司" and _OVERSEAS.search(name)):
        org_type = "海外机构"
    return Org(_canonical(name), org_type)


# what an unknown manager's name says of its kind, after its brand
_BRAND_TAIL = re.compile(
    r"(私募证券投资基金|私募股权投资基金|私募股权基金|私募证券基金|私募基金|股权投资基金|股权投资|"
    r"创业投资|私募|资产|投资|资本|资管|基金|创投|财富)+$"
)
# an institution's family is the one its brand names: 西部资管 is 西部证券's, 华夏资本 华夏基金's
_FAMILY_TAIL = re.compile(r"(资管|资产管理|资产|资本|投资)$")
_FAMILY_ORDER = ("证券公司", "基金管理公司", "保险公司", "银行理财", "信托公司", "期货公司")


def _family_type(name: str, ordered: list[tuple[str, Org]]) -> str | None:
    """The type of the known institutions a short or derived name belongs to: a brand alone
    (东吴, 华夏) or a brand with 资管/资本 (西部资管), by the first kind in _FAMILY_ORDER that
    the table has under that brand."""
    text = _canonical(name)
    stem = _FAMILY_TAIL.sub("", text) if len(text) > 3 else text
    if not re.fullmatch(r"[\u4e00-\u9fff]{2,4}", stem) or (stem != text and len(text) < 4):
        return None
    if stem == text and len(text) > 2:
        return None
    kinds = {org.org_type for _, org in _prefixed(ordered, key(stem))}
    return next((kind for kind in _FAMILY_ORDER if kind in kinds), None)


def _prefixed(ordered: list[tuple[str, Org]], prefix: str) -> list[tuple[str, Org]]:
    """The table's keys that begin with ``prefix``."""
    import bisect

    i = bisect.bisect_left(ordered, (prefix,))
    out = []
    while i < len(ordered) and ordered[i][0].startswith(prefix):
        out.append(ordered[i])
        i += 1
    return out
