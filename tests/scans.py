"""Scanned copies of real records: each page rendered to a grey image at 200 dpi and wrapped in
an image-only PDF (no text layer), as a scanner would give it."""

from __future__ import annotations

import io

import pypdfium2 as pdfium

DPI = 200


def scanned_copy(data: bytes, dpi: int = DPI) -> bytes:
    """An image-only PDF of ``data``'s pages, rendered at ``dpi``."""
    source = pdfium.PdfDocument(data)
    scan = pdfium.PdfDocument.new()
    try:
        for number in range(len(source)):
            page = source[number]
            width, height = page.get_size()
            bitmap = page.render(scale=dpi / 72, grayscale=True)
            out = scan.new_page(width, height)
            image = pdfium.PdfImage.new(scan)
            image.set_bitmap(bitmap)
            image.set_matrix(pdfium.PdfMatrix().scale(width, height))
            out.insert_obj(image)
            out.gen_content()
        buffer = io.BytesIO()
        scan.save(buffer)
        return buffer.getvalue()
    finally:
        scan.close()
        source.close()
