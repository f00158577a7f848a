"""Split the 参与单位名称及人员姓名 cell into ``[{"institution", "people"}]``.

Shapes seen: a ``机构 | 人员`` sub-table (one line per institution, people wrapping onto
lines with an empty institution column), ``机构 人员、人员；机构 人员；`` running text wrapped
at any character, ``机构：人、人`` lines, bare institution lists separated by ``；`` or ``、``
(``…等31家机构34人``), "详见附件" with the list after the table, and no list at all
("投资者网上提问").
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
    "傅洪赖丘蒯訾禚陳許劉張黃吳鄭林謝"
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
_SEMI = re.compile(r"[；;]")
_SUFFIX_MARK = "\x00"
_ORG_END = re.compile(
    "|".join(sorted((re.escape(w) for w in ORG_WORDS if len(w) > 1), key=len, reverse=True))
    + r"|[）)]"
)
_PUBLIC = re.compile(
    r"(网上|线上|网络|全体|广大|在线).{0,12}投资者|投资者.{0,6}(网上|线上|在线)提问|^(个人)?投资者$"
)
_SEE_APPENDIX = re.compile(r"(详见|见|参见|请见)\s*(本表)?附件|附件\s*[一二三1-9]?\s*$")
_PREFIX = re.compile(r"^(参与|参会|来访|调研)?(机构|单位|人员)(与人数|名称|及人员)?\s*[:：]\s*")
_COUNT_TAIL = re.compile(
    r"\s*(等|共计?|合计)?\s*(\d+|[一二三四五六七八九十百几多数]+)\s*(家|个)?\s*(机构|单位|家)?(的|共)?\s*"
    r"((\d+|[一二三四五六七八九十百几多数]+)\s*(位|名|人)\s*(投资者|人员|嘉宾)?)?[。.]?\s*$"
)
_ETC_TAIL = re.compile(
    r"\s*等(机构|单位)?(的)?(\d+|[一二三四五六七八九十百几多数]+)?\s*(位|名|人|家)?\s*(投资者|人员|机构)?[。.]?\s*$"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CJK_NAME = re.compile(r"^(?:[\u4e00-\u9fff]{2,4}|[\u4e00-\u9fff]{1,6}·[\u4e00-\u9fff]{1,6})$")
_LATIN_WORD = re.compile(r"^[A-Z][a-zA-Z'\-]*\.?$")
_LATIN_ANY = re.compile(r"^[A-Za-z][a-zA-Z'\-]*\.?$|^\([A-Za-z]+\)$")
_SPACED_CJK = re.compile(
    r"(?<![\u4e00-\u9fff])[\u4e00-\u9fff](?: [\u4e00-\u9fff](?![\u4e00-\u9fff]))+"
)
_INDIVIDUALS = re.compile(r"^(个人|个人投资者|自然人|其他个人)\s*[:：]\s*")
_CAMEL = re.compile(r"^[A-Z][a-z]+[A-Z][a-z]+$")
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
        return _looks_org(prev) or bool(_CJK.search(prev[-1:]))

    chosen = next((c for c in candidates if after_org(c[0])), None)
    chosen = (
        chosen or next((c for c in candidates if len(c[1][0].split()) == 2), None) or candidates[-1]
    )
    i, names = chosen
    return {"institution": " ".join(tokens[:i]), "people": names}


def _names(text: str) -> list[str]:
    return [n.strip() for n in re.split(r"[、，,/]", text) if n.strip()]


def split_entry(entry: str) -> dict[str, object] | None:
    """One ``机构 人员、人员`` (or ``机构：人员``) entry as {institution, people}."""
    entry = re.sub(r"\s*、\s*", "、", entry.strip(" 。.，,"))
    if not entry:
        return None
    m = re.match(r"^(?P<inst>[^:：]+?)\s*[:：]\s*(?P<people>.*)$", entry)
    if m and (not m["people"] or all(_is_person(n) for n in _names(m["people"]))):
        return {"institution": m["inst"].strip(), "people": _names(m["people"])}
    m = re.match(r"^(?P<inst>.+?)\s*[（(](?P<people>[^（）()]+)[）)]$", entry)
    if m and "、" in m["people"] and all(_is_person(n) for n in _names(m["people"])):
        return {"institution": m["inst"].strip(), "people": _names(m["people"])}
    split = _space_split(entry.split(" "))
    if split:
        return split
    for m in sorted(_ORG_END.finditer(entry), key=lambda m: -m.end()):
        rest = entry[m.end() :]
        names = _names(rest)
        if names and _CJK.match(rest) and all(_is_person(n) for n in names):
            return {"institution": entry[: m.end()].strip(), "people": names}
    m = _GLUED.match(entry)
    if m and not _looks_org(m["people"]):
        return {"institution": m["inst"].strip(), "people": _names(m["people"])}
    return {"institution": entry, "people": []}


def _continue_names(prev: str, line: str) -> str:
    """Join a wrapped people line.

    A cut name (``张雪`` + ``薇、…``) joins directly, a cut list (``唐聪`` + ``严堃、…``) with 、.
    """
    if not prev or prev.endswith(("、", "，", ",")) or line.startswith(("、", "，", ",")):
        return prev + line
    head = re.split(r"[、，,]", line, maxsplit=1)[0]
    last = re.split(r"[、，, ]", prev)[-1]
    if _CJK.match(head) and len(head) >= 2 and len(last) >= 2 and _CJK.search(last[-1:]):
        return prev + "、" + line
    return join_wrapped([prev, line])


def _from_columns(lines: list[list[str]]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    raw: list[str] = []
    for cols in lines:
        inst = cols[0].strip() if cols else ""
        people = " ".join(c for c in cols[1:] if c).strip()
        if re.fullmatch(
            r"(序号|机构名称|单位名称|参会机构|机构|单位|\d{1,3})", inst
        ) and re.fullmatch(r"(|姓名|人员|参会人员|人员姓名|参会人员姓名)", people):
            continue
        if not inst and out:
            if people:
                raw[-1] = _continue_names(raw[-1], people)
            continue
        if inst and not people and out and raw[-1] and not _looks_org(str(out[-1]["institution"])):
            out[-1]["institution"] = join_wrapped([str(out[-1]["institution"]), inst])
            continue
        if inst.lower().strip(".") in LATIN_ORG_WORDS and not people and out:
            out[-1]["institution"] = f"{out[-1]['institution']} {inst}"
            continue
        out.append({"institution": inst or None, "people": []})
        raw.append(people)
    for item, names in zip(out, raw, strict=False):
        item["people"] = _names(_SPACED_CJK.sub(lambda m: m.group(0).replace(" ", ""), names))
    return out


def _list_of_institutions(text: str) -> list[dict[str, object]] | None:
    """``华创证券、中金公司…等机构的29位投资者`` -> bare institutions, or None if not that shape."""
    body = _PREFIX.sub("", text.strip())
    stripped = _COUNT_TAIL.sub("", body)
    stripped = _ETC_TAIL.sub("", stripped)
    if "、" not in stripped or " " in stripped.strip() or re.search(r"[:：]", stripped):
        return None
    items = _names(stripped.replace("，", "、"))
    if sum(1 for i in items if _looks_org(i)) < max(1, len(items) // 2):
        return None
    return [{"institution": i, "people": []} for i in items]


def split_participants_text(text: str) -> list[dict[str, object]]:
    """Split a participants cell given as plain text (lines are layout wraps or entries)."""
    text = (text or "").strip()
    if not text or _PUBLIC.search(re.sub(r"\s+", "", text)):
        return []
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) > 1 and not _SEMI.search(text):
        bare = _list_of_institutions(join_wrapped(lines))
        if bare is not None:
            return bare
    if _SEMI.search(text):
        pieces = _SEMI.split(join_wrapped(lines, cjk_latin_space=True))
        entries = [p.strip() for p in pieces if p.strip()]
    elif len(lines) > 1:
        entries = []
        for line in lines:
            has_space = " " in line
            if entries and line.lower().strip(".") in LATIN_ORG_WORDS:
                entries[-1] = _SUFFIX_MARK + line + _SUFFIX_MARK + entries[-1]
            elif (
                entries
                and not has_space
                and not _looks_org(line)
                and ("、" in line or _is_person(line.strip("、")) or line.startswith("、"))
            ):
                prev = entries[-1]
                if " " not in prev and _looks_org(prev):
                    entries[-1] = prev + " " + line
                else:
                    entries[-1] = _continue_names(prev, line)
            else:
                entries.append(line)
    else:
        if all(_is_person(n, strict=True) for n in _names(lines[0])):
            return [{"institution": None, "people": _names(lines[0])}]
        bare = _list_of_institutions(lines[0])
        if bare is not None:
            return bare
        entries = [lines[0]]
    out: list[dict[str, object]] = []
    group: dict[str, object] | None = None
    for entry in entries:
        entry = _SPACED_CJK.sub(lambda m: m.group(0).replace(" ", ""), entry).strip(" 。.")
        suffix = ""
        if entry.startswith(_SUFFIX_MARK):
            suffix, entry = entry[1:].split(_SUFFIX_MARK, 1)
        if m := _INDIVIDUALS.match(entry):
            group = {"institution": None, "people": _names(entry[m.end() :])}
            out.append(group)
            continue
        if group is not None and all(_is_person(n) for n in _names(entry)):
            group["people"].extend(_names(entry))  # type: ignore[union-attr]
            continue
        group = None
        entry = _PREFIX.sub("", entry)
        if len(entries) == 1:
            bare = _list_of_institutions(entry)
            if bare is not None:
                return bare
        entry = _ETC_TAIL.sub("", entry) if re.search(r"等\s*\d*\s*(家|位|名|人)", entry) else entry
        item = split_entry(entry)
        if item:
            if suffix:
                item["institution"] = f"{item['institution']} {suffix}"
            out.append(item)
    return out


def split_participants(lines: list[list[str]]) -> list[dict[str, object]]:
    """Split a participants value (lines of columns, as rows give it)."""
    if any(sum(1 for c in line if c) > 1 for line in lines) or any(len(line) > 1 for line in lines):
        return _from_columns(lines)
    return split_participants_text("\n".join(line[0] for line in lines if line))


def refers_to_appendix(text: str) -> bool:
    """Whether the cell says the list is in an attachment (详见附件)."""
    return bool(_SEE_APPENDIX.search(re.sub(r"\s+", "", text or "")))
