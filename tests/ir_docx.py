"""Build a small but realistic 投资者关系活动记录表 as DOCX (python-docx), for crawl tests."""

from __future__ import annotations

import io
from collections.abc import Sequence

import docx


def docx_bytes(
    before: Sequence[str], rows: Sequence[tuple[str, str]] = (), after: Sequence[str] = ()
) -> bytes:
    """A DOCX of paragraphs ``before``, a two-column table of ``rows`` (label, value) and
    paragraphs ``after``."""
    document = docx.Document()
    for line in before:
        document.add_paragraph(line)
    if rows:
        table = document.add_table(rows=len(rows), cols=2)
        table.style = "Table Grid"
        for row, (label, value) in zip(table.rows, rows, strict=True):
            row.cells[0].text = label
            row.cells[1].text = value
    for line in after:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def ir_record_docx(code: str, name: str, location: str, question: str, answer: str) -> bytes:
    """A record in the usual two-column table; ``location`` and the Q&A make each one unique."""
    header = [f"证券代码：{code}                证券简称：{name}", "投资者关系活动记录表"]
    rows = [
        ("投资者关系活动类别", "☑特定对象调研  □分析师会议  □媒体采访  □业绩说明会"),
        ("参与单位名称及人员姓名", "华夏基金 张三；易方达基金 李四"),
        ("时间", "2024年5月9日 14:00-15:30"),
        ("地点", location),
        ("上市公司接待人员姓名", "董事会秘书 王五"),
        ("投资者关系活动主要内容介绍", f"问：{question}\n答：{answer}"),
        ("附件清单（如有）", "无"),
        ("日期", "2024年5月9日"),
    ]
    return docx_bytes(header, rows)
