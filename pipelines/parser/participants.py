"""Split the 参与单位名称及人员姓名 cell into ``[{"institution", "people"}]``.

Shapes seen: a ``机构 | 人员`` sub-table (ruled or not, the institution centred beside its
names, several pairs side by side), ``机构 人员、人员；机构 人员；`` running text wrapped at any
character, ``机构：人、人`` or ``机构——人`` lines, ``某某证券张三`` run together, bare institution
lists separated by ``；`` or ``、`` (``…等31家机构34人``), a list in an appendix, and no list at
all (``投资者网上提问``).

A cell is first cut into pieces at its separators; where a line break is a separator depends on
the cell (a list dense with ``、`` wraps anywhere, a list of ``机构 人员`` lines does not). Then
the list as a whole decides whether it names people: only where some pieces say so
unmistakably is a piece cut into institution and people, so an institution-only list keeps
``景顺长城`` whole.
"""

from __future__ import annotations

import re

from .text import join_wrapped

ORG_WORDS = (
    "基金",
    "证券",
    "资管",
    "资产",
    "投资",
    "保险",
    "银行",
    "公司",
    "资本",
    "理财",
    "信托",
    "期货",
    "集团",
    "私募",
    "研究",
    "管理",
    "合伙",
    "人寿",
    "养老",
    "咨询",
    "自营",
    "财富",
    "控股",
    "创投",
    "研究所",
    "研究院",
    "中心",
    "事务所",
    "金控",
    "金融",
    "国际",
    "有限",
    "机构",
    "传媒",
    "报",
    "网",
    "社",
    "电视台",
    "大学",
    "学院",
    "协会",
    "证券报",
    "部",
    "科技",
    "通信",
    "电子",
    "技术",
    "信息",
    "工程",
    "新闻",
    "实业",
    "医药",
    "能源",
    "材料",
    "光电",
    "智能",
    "软件",
    "财险",
    "寿险",
    "保险",
    "资本",
    "私募",
    "自营",
    "养老金",
)
LATIN_ORG_WORDS = {
    "asset",
    "assets",
    "capital",
    "management",
    "mgmt",
    "partners",
    "investment",
    "investments",
    "invs",
    "fund",
    "funds",
    "securities",
    "limited",
    "ltd",
    "llc",
    "inc",
    "co",
    "corp",
    "group",
    "bank",
    "advisors",
    "advisers",
    "research",
    "global",
    "holdings",
    "plc",
    "trust",
    "insurance",
    "equity",
    "ventures",
    "international",
    "intl",
    "am",
    "gmbh",
    "sa",
    "ag",
    "lp",
    "llp",
    "company",
    "financial",
}
# Common Chinese surnames (single and compound): a bare 2-4 character cell is a person only
# when it starts with one of these.
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季"
    "裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦"
    "戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻"
    "苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练"
    "廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿"
    "鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
    "傅洪赖丘蒯訾禚陳許劉張黃吳鄭林謝代宇介皋列"
) | {
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "令狐",
    "端木",
    "南宫",
}
_ORG_END = re.compile(
    "|".join(sorted((re.escape(w) for w in ORG_WORDS if len(w) > 1), key=len, reverse=True))
    + r"|[）)]"
)
_PUBLIC = re.compile(
    r"(网上|线上|网络|全体|广大|在线).{0,12}投资者|投资者.{0,6}(网上|线上|在线)提问"
    r"|^(个人|机构|中小|全体)?投资者$|严格遵守|未公开重大信息|信息泄露"
)
_SEE_APPENDIX = re.compile(
    r"(详见|见|参见|请见|参阅)\s*(本表|文末|文后|下表)?(附件|附表)|附件\s*[一二三1-9]?\s*$"
)
_PREFIX = re.compile(r"^(参与|参会|来访|调研)?(机构|单位|人员)(与人数|名称|及人员)?\s*[:：]\s*")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CJK_NAME = re.compile(r"^(?:[\u4e00-\u9fff]{2,4}|[\u4e00-\u9fff]{1,6}·[\u4e00-\u9fff]{1,6})$")
_LATIN_WORD = re.compile(r"^[A-Z][a-zA-Z'\-]*\.?$")
_LATIN_ANY = re.compile(r"^[A-Za-z][a-zA-Z'\-]*\.?$|^\([A-Za-z]+\)$")
_SPACED_CJK = re.compile(
    r"(?<![\u4e00-\u9fff])[\u4e00-\u9fff](?: [\u4e00-\u9fff](?![\u4e00-\u9fff]))+"
)
_INDIVIDUALS = re.compile(r"^(个人|个人投资者|自然人|其他个人)(\s*[:：]\s*|\s+(?=[\u4e00-\u9fff]))")
_CAMEL = re.compile(r"^[A-Z][a-z]+[A-Z][a-z]+$")
_ORG_END_AT = re.compile(
    "("
    + "|".join(sorted((re.escape(w) for w in ORG_WORDS if len(w) > 1), key=len, reverse=True))
    + r"|[）)])$"
)
_GLUED = re.compile(
    r"^(?P<inst>.*[A-Za-z0-9)）.&])(?P<people>[\u4e00-\u9fff]{2,4}(?:、[\u4e00-\u9fff]{2,4})*)$"
)


def _looks_org(text: str) -> bool:
    low = text.lower()
    if any(word in text for word in ORG_WORDS):
        return True
    return any(tok.strip(".,()") in LATIN_ORG_WORDS for tok in low.split())


def _is_person(token: str, single: bool = False, strict: bool = False) -> bool:
    token = token.strip()
    if not token:
        return False
    if _CJK.search(token):
        return (
            bool(_CJK_NAME.match(token))
            and not _looks_org(token)
            and (not strict or token[0] in SURNAMES or token[:2] in SURNAMES or "·" in token)
        )
    words = token.split()
    if len(words) == 1:
        return bool(_CAMEL.match(words[0]) or (single and _LATIN_ANY.match(words[0])))
    return (
        len(words) <= 3
        and bool(_LATIN_WORD.match(words[0]) or _CAMEL.match(words[0]))
        and all(_LATIN_ANY.match(w) and w.lower().strip(".,") not in LATIN_ORG_WORDS for w in words)
    )


def _space_split(tokens: list[str]) -> dict[str, object] | None:
    """Split ``机构 人员`` at the space that leaves only names after it.

    Prefers a cut right after an institution word (``Asset``, ``基金``), then a cut giving a
    two-word Latin first name, then any.
    """
    candidates = []
    for i in range(1, len(tokens)):
        names = _names(" ".join(tokens[i:]))
        if len(names) == 1 and all(_given_name(t) for t in tokens[i:]):
            names = tokens[i:]  # 中信证券 张三 李四: names cut by spaces
        prev = tokens[i - 1]
        single = _looks_org(prev) or bool(_CJK.search(prev[-1:]))
        if (
            names
            and all(_is_person(n, single) for n in names)
            and names[0].lower() not in LATIN_ORG_WORDS
        ):
            candidates.append((i, names))
    if not candidates:
        return None

    def after_org(i: int) -> bool:
        prev = tokens[i - 1]
        acronym = i == 1 and re.fullmatch(r"[A-Z][A-Z0-9&]{1,7}", prev)  # GIC Bob Qian
        return _looks_org(prev) or bool(_CJK.search(prev[-1:])) or bool(acronym)

    chosen = next((c for c in candidates if after_org(c[0])), None)
    chosen = (
        chosen or next((c for c in candidates if len(c[1][0].split()) == 2), None) or candidates[-1]
    )
    i, names = chosen
    return {"institution": " ".join(tokens[:i]), "people": names}


def _names(text: str) -> list[str]:
    return [n.strip() for n in re.split(r"[、，,/；;\n\t]", text) if n.strip()]


def _cell_names(cell: str) -> list[str]:
    cell = _SPACED_CJK.sub(lambda m: m.group(0).replace(" ", ""), cell)
    text = _join_names(cell.split("\n"))
    return _names(text.replace(" ", "、") if _CJK.search(text) else text)


def _join_names(lines: list[str]) -> str:
    """A names cell's lines as one 、 list: a name cut at the line end (``周应波、蓝`` /
    ``小康``) is joined, whole names get a 、 between them."""
    out = ""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        last = re.split(r"[、，,；;\s]", out)[-1] if out else ""
        head = re.split(r"[、，,；;\s]", line)[0]
        if out and not out.endswith(_SEPARATORS) and not line.startswith(_SEPARATORS):
            if _CJK.search(last + head) and (len(last) < 2 or len(head) < 2):
                out += line
                continue
            out += "、" if _CJK.search(last + head) else " "
        out += line
    return out


def split_entry(entry: str) -> dict[str, object] | None:
    """One ``机构 人员、人员`` (or ``机构：人员``) entry as {institution, people}."""
    entry = re.sub(r"\s*、\s*", "、", entry.strip(" 。.，,"))
    if not entry:
        return None
    m = re.match(r"^(?P<inst>[^:：]+?)\s*(?:[:：]|——|--)\s*(?P<people>.*)$", entry)
    if m and (not m["people"] or all(_is_person(n, single=True) for n in _names(m["people"]))):
        return {"institution": m["inst"].strip(), "people": _names(m["people"])}
    m = re.match(r"^(?P<inst>.+?)\s*[（(](?P<people>[^（）()]+)[）)]$", entry)
    if m and "、" in m["people"] and all(_is_person(n) for n in _names(m["people"])):
        return {"institution": m["inst"].strip(), "people": _names(m["people"])}
    split = _space_split(entry.split(" "))
    if split:
        return split
    glued = glued_split(entry, need_org_end=True)
    if glued:
        return glued
    m = _GLUED.match(entry)
    if m and not _looks_org(m["people"]):
        return {"institution": m["inst"].strip(), "people": _names(m["people"])}
    return {"institution": entry, "people": []}


def _width(text: str) -> int:
    """Display width: a Chinese character is two columns, anything else one."""
    return sum(2 if _CJK.match(ch) else 1 for ch in text)


def _join_lines(lines: list[str]) -> str:
    """One text from a cell's lines, a line break kept where it ends an entry.

    In a list dense with separators (``、``, ``；``) a line break is only a wrap, even inside a
    name (``申万`` / ``宏源``); otherwise each line is an entry (``机构名 张三、李四``) and only
    a Latin name cut at a space runs on. A column gap (tab) always ends an entry.
    """
    found = [s for line in lines for s in _SEPARATOR_CHARS.findall(line)]
    separators = len(found)
    semicolons = any(s in "；;" for s in found)
    # in a list cut by 、 or ；, a comma belongs to a name (POINT72 ASSOCIATES, LLC)
    enders = _SEPARATORS if "," in max(found, key=found.count, default=",") else _WIDE_SEPARATORS
    dense = separators >= len(lines)
    listed = separators > 0  # with no separator at all, every line is an entry
    widest = max((_width(line) for line in lines), default=0)
    out = ""
    for line in lines:
        if out:
            prev = out.rsplit("\n", 1)[-1]
            latin_cut = (
                re.search(r"[A-Za-z(（]$", prev)
                and re.match(r"[A-Za-z)）]", line)
                and _width(prev) >= 0.85 * widest
                and listed
            )
            # without ；, a line 国泰中宏：潘非 opens an entry of its own
            starts_entry = not semicolons and bool(_ENTRY_START.match(line))
            if (
                "\t" not in prev + line
                and not prev.endswith(enders)
                and not starts_entry
                and (dense or latin_cut)
            ):
                out = join_wrapped([out, line])
                continue
            out += "\n"
        out += line
    return out


_ENTRY_START = re.compile(r"^[^、，,；;:：\s]{2,30}\s*[:：]")
_SEPARATOR_CHARS = re.compile(r"[、，,；;]")
_SEPARATORS = ("、", "，", ",", "；", ";", "。")
_WIDE_SEPARATORS = ("、", "，", "；", ";", "。")
_PIECES = re.compile(r"[\n\t；;、，]|,(?!\s*(?:ltd|limited|inc|llc|l\.l\.c|co\b|fraser|\n))", re.I)
_NOT_ORG = re.compile(
    r"^(（?排名不分先后）?|等|及|以及|和|其他|等机构|等投资者|序号|(单位|机构|参会|调研)(名称|机构|单位)"
    r"|(人员|参会人员)?姓名|(参会|调研|参与)?人员)$"
)
_LEAD = re.compile(r"^[（(]?\s*排名不分先后\s*[）)]?|^\d{1,3}\s*[、.．]\s*(?=\D)")
_AUDIENCE = re.compile(r"(及|和|以及)?(参与|参加|线上|网上|在线|通过).{0,60}的?(投资者|股东|嘉宾)$")
_RANKING = re.compile(r"[（(]?\s*排名不分先后\s*[）)]?")
# what counts instead of naming, from where it starts to the end of the piece: 等 31 家机构 34 人,
# 等机构的投资者, 48 家机构共 64 位投资者, a piece of its own like 共 40 名人员参加 (not POINT72)
_NUMBER = r"(?:\d+|[一二三四五六七八九十百几多数]+)"
_TAIL = re.compile(
    r"\s*(?:(?:等|共计?|合计|总计)\s*(?:" + _NUMBER + r"|机构|单位|投资者|人员|的)"
    r"|(?<![A-Za-z])\d+\s*多?\s*[家个名位人]).*$"
)
_SESSION = re.compile(r"^[^:：]*(投资者|参会|会议|机构|单位|人员|名单)[^:：]*[:：]\s*")


# A cell that only describes its audience: 通过全景网参与的投资者, 线上参与…的全体投资者.
_GENERIC = re.compile(
    r"^(通过|线上|网上|在线|参与|参加|出席|全体|广大|中小|个人投资者|机构投资者).*投资者"
)


def _pieces(text: str) -> list[str]:
    """The text cut at every separator, counting tails (``等 50 名投资者``) and prefixes
    (``（排名不分先后）``, ``1、8 月 3 日下午会议参会投资者：``) removed."""
    out = []
    for piece in _PIECES.split(text):
        piece = piece.strip(" 。.：:")
        piece = _PREFIX.sub("", _LEAD.sub("", piece).strip())
        m = _SESSION.match(piece)
        if m and (
            not _looks_org(piece[: m.end()].rstrip(":： "))
            or re.search(r"投资者|参会|会议|名单", piece[: m.end()])
        ):
            piece = piece[m.end() :]
        piece = _TAIL.sub("", _RANKING.sub("", piece).strip())
        piece = _AUDIENCE.sub("", piece).strip(" 。.")
        piece = re.sub(r"等$", "", piece).strip()
        if (
            piece
            and not _NOT_ORG.match(piece)
            and not _PUBLIC.search(piece)
            and not re.fullmatch(r"[\d\s.．]+", piece)  # the 1 of 1、8 月 3 日…
        ):
            out.append(piece)
    return out


def _given_name(name: str) -> bool:
    """A Chinese full name as printed in lists: surname and a one- or two-character given name
    (four characters only with a compound surname)."""
    if not _CJK_NAME.match(name) or _looks_org(name):
        return False
    if len(name) == 4:
        return name[:2] in SURNAMES
    return name[0] in SURNAMES or name[:2] in SURNAMES


def glued_split(
    entry: str, need_org_end: bool = False, known: frozenset[str] = frozenset()
) -> dict[str, object] | None:
    """``杭州金投资管王安戈`` -> 杭州金投资管 + 王安戈: an institution run into its people.

    Every cut that leaves only names after it is scored: an institution the same list prints
    cleanly elsewhere (``known``) counts most, then one ending in an institution word (资管,
    证券), then a three-character name.
    """
    best: tuple[int, int] | None = None
    for k in range(2, len(entry) - 1):
        inst, rest = entry[:k], entry[k:]
        if not _CJK.match(rest) or not _CJK.search(inst[-1]):
            continue
        names = _names(rest)
        if not names or not all(_given_name(n) for n in names):
            continue
        org_end = bool(_ORG_END_AT.search(inst))
        if need_org_end and not org_end:
            continue
        seen = inst in known or any(k.startswith(inst) for k in known)
        score = 4 * seen + 2 * org_end + (len(names[0]) == 3)
        if best is None or score > best[0]:
            best = (score, k)
    if best is None:
        return None
    return {"institution": entry[: best[1]], "people": _names(entry[best[1] :])}


def _names_person_list(text: str, strict: bool = True) -> bool:
    names = _names(text)
    return bool(names) and all(_is_person(n, strict=strict) for n in names)


def _marks_person(piece: str) -> bool:
    """Whether a piece names a person in a way no institution name reads: ``机构：张三``,
    ``机构 张三``, ``某某证券张三``."""
    m = re.match(r"^(?P<inst>[^:：]+?)\s*(?:[:：]|——|--)\s*(?P<people>.+)$", piece)
    if m:
        return _names_person_list(m["people"], strict=False)
    head, _, tail = piece.rpartition(" ")
    if head and _CJK.search(tail) and _names_person_list(tail):
        return True
    return glued_split(piece, need_org_end=True) is not None


def _entries(pieces: list[str], lone_person: bool = True) -> list[dict[str, object]]:
    """Pieces in order to entries.

    In a list that names people (some pieces say so unmistakably), a piece of names belongs to
    the entry before it and a piece is cut into institution and people; in a list of
    institutions only, every piece is an institution as printed.
    """
    pieces = [_SPACED_CJK.sub(lambda m: m.group(0).replace(" ", ""), p) for p in pieces]
    marked = sum(1 for p in pieces if _marks_person(p))
    people_style = marked >= 2 or (marked >= 1 and len(pieces) <= 3)
    out: list[dict[str, object]] = []
    loose: set[int] = set()  # entries whose people all came in pieces after them
    individuals = False
    for piece in pieces:
        if m := _INDIVIDUALS.match(piece):
            out.append({"institution": None, "people": _names(piece[m.end() :])})
            individuals = True
            continue
        if individuals and _names_person_list(piece, strict=False):
            out[-1]["people"].extend(_names(piece))  # type: ignore[union-attr]
            continue
        individuals = False
        if lone_person and len(pieces) == 1 and all(_given_name(n) for n in _names(piece)):
            out.append({"institution": None, "people": _names(piece)})
            continue
        if not people_style:
            out.append({"institution": piece, "people": []})
            continue
        if (
            out
            and out[-1]["institution"]
            and len(piece.split()) <= 2  # CCBI Cathy Chan is an institution and a person
            and _names_person_list(piece, strict=False)
        ):
            if not out[-1]["people"]:
                loose.add(len(out) - 1)
            out[-1]["people"].extend(_names(piece))  # type: ignore[union-attr]
            continue
        item = split_entry(piece)
        if item and (item["institution"] or item["people"]):
            out.append(item)
    if people_style and sum(1 for item in out if item["people"]) >= len(out) // 2:
        out = _cut_glued(out, loose)
    return [item for entry in out for item in _split_two(entry)]


def _cut_glued(items: list[dict[str, object]], loose: set[int]) -> list[dict[str, object]]:
    """In a list of 机构+人, cut the people off institutions printed without a gap; an entry
    in ``loose`` got its people from the pieces after it (``工银瑞信杨柯、马丽娜``)."""
    known = frozenset(
        str(item["institution"])
        for item in items
        if item["institution"] and _ORG_END_AT.search(str(item["institution"]))
    )
    out = []
    for i, item in enumerate(items):
        inst = str(item["institution"] or "")
        cut = None
        if inst and (i in loose or not item["people"]) and not _ORG_END_AT.search(inst):
            cut = glued_split(inst, known=known)
        if cut:
            cut["people"] = [*cut["people"], *item["people"]]  # type: ignore[misc]
        out.append(cut or item)
    return out


# words an institution's name ends with (a 科技 or 金融 in the middle belongs to the name)
_FINAL = re.compile(r"(证券|基金|资管|保险|银行|信托|资本|资产|理财|财险|自营|期货|[）)])$")
_BRANCH = re.compile(
    r"分公司|分行|营业部|子公司|研究所|研究院|研究部|[(（]|^(香港|中国|亚洲|国际|上海|北京|深圳|"
    r"责任|股份|有限|私人|公司|集团|控股|管理|资产|投资)"
)


def _split_two(item: dict[str, object]) -> list[dict[str, object]]:
    """``三井住友信托资管美银证券`` -> two institutions, when both halves end in an
    institution word and the second neither starts with one nor names a branch."""
    inst = str(item["institution"] or "")
    if item["people"] or not _CJK.search(inst):
        return [item]
    for m in _ORG_END.finditer(inst):
        head, tail = inst[: m.end()], inst[m.end() :]
        if re.fullmatch(r"[（(][^）)]*[）)]", head):
            continue  # (广州)玄元投资: a place in front, not an institution
        if (
            4 <= len(tail) <= 8
            and _FINAL.search(head)
            and _ORG_END_AT.search(tail)
            and not _ORG_END.match(tail)
            and not _BRANCH.search(tail)
            and not re.search(r"(有限|股份|管理|集团)$", head)
            and _CJK.match(tail)
        ):
            return [{"institution": head, "people": []}, {"institution": tail, "people": []}]
    return [item]


def _merge_same(items: list[dict[str, object]]) -> list[dict[str, object]]:
    """One entry per institution (its people joined), in first-seen order."""
    out: list[dict[str, object]] = []
    seen: dict[str, dict[str, object]] = {}
    for item in items:
        inst = item["institution"]
        key = re.sub(r"\s+", "", str(inst)) if inst else None
        if key is not None and key in seen:
            people = seen[key]["people"]
            people.extend(p for p in item["people"] if p not in people)  # type: ignore[union-attr]
            continue
        if key is not None:
            seen[key] = item
        out.append(item)
    return out


def split_participants_text(text: str) -> list[dict[str, object]]:
    """Split a participants cell given as plain text (lines are layout wraps or entries)."""
    lines = [line.strip() for line in (text or "").split("\n") if line.strip()]
    if not lines:
        return []
    flat = re.sub(r"\s+", "", "".join(lines))
    if not flat or (
        (_PUBLIC.search(flat) or _GENERIC.match(flat)) and len(_SEPARATOR_CHARS.findall(flat)) < 2
    ):
        return []  # an audience, not a list (全体投资者, 通过全景网参与的投资者)
    return _merge_same(_entries(_pieces(_join_lines(lines))))


_HEADER_CELL = re.compile(r"((序号|\d{1,3}|[^\s]{0,4}(名称|姓名|人员|机构|单位))\s*)*")


def _from_columns(lines: list[list[str]]) -> list[dict[str, object]]:
    """A sub-table: institution and name cells side by side (several pairs a row possible).

    A cell of names belongs to the institution in the cell before it; a row with an empty
    first cell continues the row above.
    """
    rows: list[list[str]] = []
    for cols in lines:
        cells = [c.strip() for c in cols]
        cells = [part.strip() for c in cells for part in c.split("\t")]
        if all(_HEADER_CELL.fullmatch(c) for c in cells):
            continue  # a header row
        if rows and not cells[0] and len(cells) == len(rows[-1]):
            rows[-1] = [
                a + "\n" + b if a and b else a or b for a, b in zip(rows[-1], cells, strict=True)
            ]
        else:
            rows.append(cells)
    width = max((len(cells) for cells in rows), default=0)
    names_column = [False] * width
    for i in range(1, width):
        filled = [cells[i] for cells in rows if i < len(cells) and cells[i]]
        people = [
            c for c in filled if not _looks_org(c) and all(_is_person(n) for n in _cell_names(c))
        ]
        names_column[i] = bool(filled) and len(people) >= 0.6 * len(filled)
    out: list[dict[str, object]] = []
    for cells in rows:
        for i, cell in enumerate(cells):
            if not cell or re.fullmatch(r"\d{1,3}", cell):
                continue
            if names_column[i] and out:
                out[-1]["people"].extend(_cell_names(cell))  # type: ignore[union-attr]
            else:
                text = _SPACED_CJK.sub(lambda m: m.group(0).replace(" ", ""), cell)
                lines = text.split("\n")
                # a ruled cell's lines wrap one name, unless separators make it a list
                text = _join_lines(lines) if _SEPARATOR_CHARS.search(text) else join_wrapped(lines)
                out.extend(_entries(_pieces(text), lone_person=False))
    if sum(1 for item in out if item["people"]) >= len(out) / 3:
        out = _cut_glued(out, set())
    return _merge_same(out)


def split_participants(lines: list[list[str]]) -> list[dict[str, object]]:
    """Split a participants value (lines of columns, as rows give it)."""
    if any(len(line) > 1 for line in lines):
        return _from_columns(lines)
    tabbed = sum(1 for line in lines if line and "\t" in line[0])
    if tabbed and tabbed >= 0.3 * len(lines):  # columns without rulings
        return _from_columns([line[0].split("\t") for line in lines if line])
    return split_participants_text("\n".join(line[0] for line in lines if line))


def refers_to_appendix(text: str) -> bool:
    """Whether the cell says the list is in an attachment (详见附件)."""
    return bool(_SEE_APPENDIX.search(re.sub(r"\s+", "", text or "")))
