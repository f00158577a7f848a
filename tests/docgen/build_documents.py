"""Build the template-variant test documents from tests/fixtures/texts/.

python-docx writes the bordered two-column record table, LibreOffice converts it to a
Word-like PDF. Content is taken from the real record texts (abridged to a few Q&A), laid out
the way each template does it. The tests build them once per session into a temporary folder
(they are built, not committed); to look at them:
``.venv/bin/python tests/docgen/build_documents.py OUT_DIR`` (needs ``soffice``, fonts-noto-cjk).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

REPO = Path(__file__).resolve().parents[2]
TEXTS = REPO / "tests" / "fixtures" / "texts"  # public record texts, copied unchanged
# Built beside the template variants' DOCX and PDF files.
EXTRA_DOCUMENTS = ("castech_002222.doc", "encrypted.pdf", "scanned_image_only.pdf")


def _text(name: str) -> list[str]:
    path = TEXTS / name
    if not path.is_file():
        raise FileNotFoundError(f"test fixture missing: {path} (it is committed under tests/)")
    raw = path.read_text(encoding="utf-8")
    lines = [line.rstrip() for line in raw.split("\n")]
    return [
        line.strip()
        for line in lines
        if not line.startswith("==== page") and not re.fullmatch(r"\s*\d+\s*", line)
    ]


def _between(lines: list[str], start: str, end: str) -> list[str]:
    i = next(n for n, line in enumerate(lines) if line.startswith(start))
    j = next(n for n, line in enumerate(lines) if n > i and line.startswith(end))
    return [line for line in lines[i:j] if line]


def _unwrap(lines: list[str], starts: str) -> list[str]:
    """Join layout-wrapped lines into paragraphs; a paragraph starts where ``starts`` matches."""
    paras: list[str] = []
    for line in lines:
        if not paras or re.match(starts, line):
            paras.append(line)
        else:
            paras[-1] += line
    return paras


def _borders(table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), "4")
        el.set(qn("w:color"), "000000")
        borders.append(el)
    tbl_pr.append(borders)


def _sym(paragraph, char: str) -> None:
    """A Wingdings box as Word stores it (<w:sym w:font="Wingdings" w:char="F0FE"/>)."""
    run = paragraph.add_run()
    sym = OxmlElement("w:sym")
    sym.set(qn("w:font"), "Wingdings")
    sym.set(qn("w:char"), char)
    run._r.append(sym)


def _fill(cell, value) -> None:
    cell.paragraphs[0].text = ""
    if isinstance(value, str):
        value = value.split("\n")
    first = True
    for para in value:
        p = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        if isinstance(para, tuple):  # checkbox options [(mark, label), ...]
            for mark, label in para:
                if mark.startswith("sym:"):
                    _sym(p, mark[4:])
                    p.add_run(label + " ")
                else:
                    p.add_run(f"{mark}{label} ")
        else:
            p.add_run(para)


def build(spec: dict, out: Path) -> None:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.size = Pt(10.5)
    style.font.name = "Noto Sans CJK SC"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Noto Sans CJK SC")
    for line in spec["header"]:
        p = doc.add_paragraph(line)
        if "记录表" in line or ("公司" in line and "：" not in line):
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    table = doc.add_table(rows=0, cols=2)
    _borders(table)
    for label, value in spec["rows"]:
        if isinstance(value, dict):  # participants sub-table: one row per institution
            first = None
            for inst, people in value["pairs"]:
                cells = table.add_row().cells
                if first is None:
                    first = cells[0]
                    first.text = label
                else:
                    first = first.merge(cells[0])
                inner = cells[1]
                inner.text = f"{inst} {people}".strip() if value.get("flat") else ""
                if not value.get("flat"):
                    sub = inner.add_table(rows=1, cols=2)
                    sub.rows[0].cells[0].text = inst
                    sub.rows[0].cells[1].text = people
            continue
        cells = table.add_row().cells
        cells[0].text = label
        _fill(cells[1], value)
    table.autofit = False
    for column, width in zip(table.columns, (Cm(3.2), Cm(12.8)), strict=False):
        column.width = width
        for cell in column.cells:
            cell.width = width
    for line in spec.get("trailer", []):
        doc.add_paragraph(line)
    doc.save(out)


BOX = "□"


def _opts(
    ticked: dict[str, str], mark: str = "☑", empty: str = BOX, per_line: int = 3, other: str = ""
) -> list:
    names = [
        "特定对象调研",
        "分析师会议",
        "媒体采访",
        "业绩说明会",
        "新闻发布会",
        "路演活动",
        "现场参观",
        "其他",
    ]
    items = [
        (ticked.get(n, empty) if n in ticked else empty, n + (other if n == "其他" else ""))
        for n in names
    ]
    items = [(mark if m == "x" else m, label) for m, label in items]
    return [tuple(items[i : i + per_line]) for i in range(0, len(items), per_line)]


def specs() -> dict[str, dict]:
    out = {}
    # 福晶科技 002222: labels wrapped, √ glyphs, numbered questions with 答：,
    # 重大信息 row, no 日期 row
    t = _text("castech_2026-09-02_record_1225542890.txt")
    qa = _unwrap(_between(t, "1.根据前期", "附件清")[:18], r"^(\d+\.|答：)")[:6]
    out["castech_002222"] = {
        "header": [
            "证券代码：002222 证券简称：福晶科技",
            "福建福晶科技股份有限公司投资者关系活动记录表",
            "编号：2026003",
        ],
        "rows": [
            ("投资者\n关系活\n动类别", _opts({"业绩说明会": "x"}, mark="√", per_line=2)),
            (
                "参与单\n位名称\n及人员\n姓名",
                "福晶科技 2026 年半年度业绩说明会采用网络远程方式进行，面向全体投资者",
            ),
            ("时间", "2026 年 9 月 1 日 15:00-16:30"),
            ("地点", "深圳证券交易所“互动易平台”http://irm.cninfo.com.cn“云访谈”栏目"),
            (
                "上市公\n司接待\n人员姓\n名",
                ["董事长：张戈", "总经理：陈秋华", "财务总监：郭宗慧", "董秘：薛汉锋"],
            ),
            ("投资者\n关系活\n动主要\n内容介\n绍", qa),
            ("附件清\n单（如\n有）", "无"),
            ("本次活动是否涉及应当披露重大信息", "不涉及。"),
        ],
    }
    # 中际旭创 300308: ☑ 其他 （电话会议）, 参与单位名称 as ；-list, Q1：/A1：,
    # prepared remarks, 日期 row
    t = _text("innolight_2026-08-23_record_1225493952.txt")
    inst = "".join(_between(t, "易方达基金；", "时间 "))
    inst = inst[: inst.index("国投瑞") - 1]
    remarks = _unwrap(_between(t, "一、公司高管对", "二、公司高管")[:4], r"^(一、|费用端)")
    qa = _unwrap(_between(t, "三、投资者问答环节", "Q4："), r"^(三、|Q\d+：|A\d+：)")
    out["innolight_300308"] = {
        "header": [
            "证券代码：300308 证券简称：中际旭创",
            "中际旭创股份有限公司",
            "投资者关系活动记录表",
            "编号：2026-008",
        ],
        "rows": [
            ("投资者关系活动类别", _opts({"其他": "☑"}, other=" （电话会议）")),
            ("参与单位名称", inst),
            ("时间", "2026 年 8 月 23 日（星期日）20:00—21:00"),
            ("地点", "/"),
            (
                "上市公司接待人员姓名",
                ["公司副总裁、财务总监 王晓丽", "公司副总裁、董事会秘书 王军"],
            ),
            ("投资者关系活动主要内容介绍", remarks + qa),
            ("日期", "2026 年 8 月 23 日"),
        ],
    }
    # 澜起科技 688008 (STAR): header on one line, two boxes ticked, 出席人员,
    # 详见附件 + list after the table
    t = _text("montagetechnology_2026-09-03_record_1785257.txt")
    qa = _unwrap(_between(t, "问题9：", "问题11："), r"^(问题\d+：|答复：)")
    appendix = _between(t, "AceCamp International", "Keystone Investors")[:12]
    out["montage_688008"] = {
        "header": [
            "澜起科技股份有限公司",
            "投资者关系活动记录表",
            "证券简称：澜起科技 证券代码：688008 编号：2026-009",
        ],
        "rows": [
            ("投资者关系活动类别", _opts({"特定对象调研": "√", "其他": "√"}, other="（电话会议）")),
            ("参与单位名称", "详见附件"),
            ("时间", "2026年8月28日、8月31日"),
            ("地点", "公司会议室，部分通过电话会议形式接待调研"),
            ("出席人员", "董事会秘书傅晓女士等"),
            (
                "投资者关系活动主要内容介绍",
                ["一、公司介绍了2026年上半年的业绩情况", "二、问答环节", *qa],
            ),
            ("是否涉及应披露重大信息的说明", "无"),
        ],
        "trailer": ["附件", "参与单位名称：", *appendix],
    }
    # 特变电工 600089: 方式 row, 交流内容, question without 问：, 风险提示 row, month-only 时间
    out["tbea_600089"] = {
        "header": [
            "证券代码：600089 证券简称：特变电工",
            "特变电工股份有限公司",
            "投资者关系活动记录表",
        ],
        "rows": [
            (
                "投资者关系 活动类别",
                _opts(
                    {"分析师会议": "√", "现场参观": "√", "其他": "√"}, per_line=2, other="  策略会"
                ),
            ),
            ("时间", "2026年7月"),
            ("方式", "现场调研、策略会"),
            (
                "参与单位名称及人员姓名",
                "华泰证券、交银施罗德、申万宏源、汇添富、中加基金、建信基金等31家机构34人。",
            ),
            ("上市公司接待人员姓名", "董事会秘书焦海华"),
            (
                "交流内容",
                [
                    "公司输变电订单结构如何？在二季度电网投资增速放缓的情况下，公司输变电国内订单增速如何？",
                    "答：国家电网和南方电网的订单占公司整体订单中的30%-40%，相对稳定。",
                    "问：公司固态变压器研发进度如何？公司是否有下游市场？",
                    "答：公司电力电子变压器研制成功，目前正在寻找场景挂网试用。",
                ],
            ),
            (
                "风险提示",
                "以上如涉及对行业预测、公司发展战略和经营计划等相关内容,不能视作公司或公司管理层对行业、公司发展或业绩的承诺和保证。",
            ),
        ],
    }
    # 上海医药 601607: ticked glyph lost (only □ remain), 注意事项 row, header on one line
    out["sph_601607"] = {
        "header": [
            "证券代码：601607 证券简称：上海医药",
            "上海医药集团股份有限公司",
            "投资者关系活动记录表",
            "编号：2026-007",
        ],
        "rows": [
            ("投资者关系活动类别", _opts({"分析师会议": "", "路演活动": ""}, per_line=2)),
            (
                "参与单位名称",
                "参与机构与人数：华创证券、中金公司、华夏基金、诺安基金、国邦基金、重鼎资产、嘉实基金、东吴资管、招商基金等机构的29位投资者。",
            ),
            ("时间", "2026年7月份"),
            ("地点", "外部策略会、公司会议室等"),
            ("上市公司接待人员", "证券事务代表、IR等"),
            (
                "投资者关系活动主要内容介绍",
                [
                    "Q：新版基药目录出台，公司有多少产品被新纳入其中？",
                    "A：2026版国家基本药物目录于7月9日正式发布。",
                    "Q：公司商业板块CSO业务进展？",
                    "A：2026年第一季度，公司药品CSO业务，新承接7个品种的商业化合作。",
                ],
            ),
            ("附件清单（如有）", "无"),
            (
                "注意事项",
                "公司严格遵守信披规则进行投资者交流，如涉及公司未来计划、发展战略等前瞻性描述，不构成公司对投资者的实质性承诺。",
            ),
        ],
    }
    # 昆仑万维 300418: Wingdings boxes (w:sym), numbered questions with bare answer paragraphs
    t = _text("kunlun_300418_2024-05-09_results_briefing.txt")
    body = _between(t, "投资者关系活动主要内容介绍", "5、")
    body[0] = body[0].split("\t", 1)[1]
    paras = [p.strip() for line in body for p in re.split(r"</p>\s*<p>", line) if p.strip()]
    paras = [re.sub(r"</?p>", "", p).strip() for p in paras]
    opts = _opts(
        {"业绩说明会": "sym:F0FE"}, empty="sym:F0A8", per_line=4, other="（请文字说明其他活动内容）"
    )
    out["kunlun_300418"] = {
        "header": [
            "证券代码： 300418",
            "证券简称： 昆仑万维",
            "昆仑万维科技股份有限公司",
            "2023 年度业绩说明会活动记录表",
            "编号： 2024-002",
        ],
        "rows": [
            ("投资者关系活动类别", opts),
            ("参与单位名称及人员姓名", "投资者网上提问"),
            ("时间", "2024 年 5 月 9 日（周四）下午 15:00-17:00"),
            (
                "地点",
                "公司通过全景网“投资者关系互动平台”（ https://ir.p5w.net ）"
                "采用网络远程的方式召开业绩说明会",
            ),
            (
                "上市公司接待人员姓名",
                "1、董事长、总经理方汉 2、董事、副总经理、董事会秘书吕杰 "
                "3、财务总监张为 4、独立董事张晨宇",
            ),
            ("投资者关系活动主要内容介绍", paras),
            ("附件清单(如有)", "无"),
            ("日期", "2024 年 5 月 9 日"),
        ],
    }
    # A 特定对象调研 roll-up with a 机构 | 人员 sub-table (nested table per institution row)
    out["subtable_002415"] = {
        "header": [
            "证券代码：002415 证券简称：海康威视",
            "杭州海康威视数字技术股份有限公司投资者关系活动记录表",
            "编号：2021-1-11",
        ],
        "rows": [
            ("投资者关系活动类别", _opts({"特定对象调研": "√"}, mark="√")),
            (
                "参与单位名称及人员姓名",
                {
                    "pairs": [
                        ("霈杉投资", "蒋建波、蒋建敏"),
                        ("中欧基金", "周应波、蓝小康、成雨轩"),
                        ("Credit Suisse Asset Management", "Angus Muirhead"),
                        ("行健资本", "容嘉亮"),
                    ]
                },
            ),
            ("时间", "2020年12月22日—2021年1月11日"),
            ("地点", "远程视频、电话会议以及现场会议"),
            (
                "上市公司接待人员姓名",
                ["高级副总经理、董事会秘书 黄方红女士", "投资者关系总监 蔡清源"],
            ),
            (
                "投资者关系活动主要内容介绍",
                [
                    "Q：EBG的数字化转型业务，可预见性如何？",
                    "A：海康过去20年做的都是to B的业务模式，以一次性的收入为主。",
                    "Q:更看好EBG的哪些板块？",
                    "A:这个问题也比较难回答。",
                ],
            ),
            ("附件清单", "无"),
            ("日期", "2021年1月11日"),
        ],
    }
    return out


def soffice() -> str:
    binary = shutil.which("soffice") or shutil.which("libreoffice")
    if not binary:
        raise RuntimeError(
            "LibreOffice (soffice) is needed to build the test documents: "
            "apt-get install libreoffice-writer-nogui fonts-noto-cjk (as .ci/run does)"
        )
    return binary


def to_pdf(docxs: list[Path], outdir: Path) -> None:
    """Convert DOCX files to PDF with one LibreOffice start."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                soffice(),
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(outdir),
                *map(str, docxs),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )


def to_doc(docx: Path, outdir: Path) -> None:
    """Legacy .doc via ODT (a direct DOCX -> DOC export drops python-docx tables)."""
    binary = soffice()
    with tempfile.TemporaryDirectory() as tmp:
        for target, src in (("odt", docx), ("doc", Path(tmp) / (docx.stem + ".odt"))):
            subprocess.run(
                [
                    binary,
                    f"-env:UserInstallation=file://{tmp}/profile",
                    "--headless",
                    "--convert-to",
                    target,
                    "--outdir",
                    tmp,
                    str(src),
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
        shutil.copy(Path(tmp) / (docx.stem + ".doc"), outdir / (docx.stem + ".doc"))


def encrypted_pdf(docx: Path, out: Path) -> None:
    """A password-protected PDF (user password ``secret``) exported by LibreOffice."""
    binary = soffice()
    options = (
        'pdf:writer_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},'
        '"DocumentOpenPassword":{"type":"string","value":"secret"}}'
    )
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                binary,
                f"-env:UserInstallation=file://{tmp}/profile",
                "--headless",
                "--convert-to",
                options,
                "--outdir",
                tmp,
                str(docx),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        shutil.copy(Path(tmp) / (docx.stem + ".pdf"), out)


def image_only_pdf(out: Path) -> None:
    """A one-page PDF holding only a picture (what a scanned record looks like)."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (620, 877), 255)
    draw = ImageDraw.Draw(image)
    for y in range(120, 760, 40):
        draw.rectangle((60, y, 560, y + 40), outline=0)
        draw.line((180, y, 180, y + 40), fill=0)
    image.save(out, "PDF", resolution=72)


def build_all(out: Path) -> list[Path]:
    """Build every test document into ``out``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    docxs = []
    for name, spec in specs().items():
        docxs.append(out / f"{name}.docx")
        build(spec, docxs[-1])
    to_pdf(docxs, out)
    to_doc(out / "castech_002222.docx", out)
    encrypted_pdf(out / "sph_601607.docx", out / "encrypted.pdf")
    image_only_pdf(out / "scanned_image_only.pdf")
    return sorted(out.iterdir())


if __name__ == "__main__":
    for path in build_all(Path(sys.argv[1])):
        print("built", path)
