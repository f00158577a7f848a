"""OCR benchmark: the parser on scanned copies of the truth fixtures, against the same PDFs' text.

Usage::

    .venv/bin/python bench/ocr_bench.py [--limit N] [--docs STEM ...] [--workers W]
        [--timing-docs N] [--knob-docs N] [--knobs I,J] [--rounds R] [--verbose]
        [--sections accuracy,timing,text,knobs]

Every fixture PDF with a truth file (tests/truth/*.json) is used unless ``--docs`` names some
(``--docs 002156_20211224 300308_20240128``) or ``--limit N`` takes N spread over the sorted list.
A scan is ``tests/scans.py: scanned_copy`` of the PDF (image only, 200 dpi). Sections:

accuracy  text PDF and scan of each document parsed in a pool of ``--workers`` processes and
          scored with tests/truth_score.py: overall field accuracy, per-field accuracy and the
          documents whose scan scores below 0.9 (``--verbose``: every scan that scores below its
          text PDF, with the mismatches the text PDF does not have)
timing    ``--timing-docs`` scans (0 = all) parsed one after another in one process pinned to one
          core: parse time / OCR'd pages, per-page ``ocr.scan_page`` median and p90, engine load
text      the text PDFs in one pinned process, ``--rounds`` times: ``parse_document`` and the
          time its ``ocr.needs_ocr`` calls take (what OCR detection adds to a text PDF), and
          ``read_pages(ocr=True)`` vs ``read_pages(ocr=False)``; both as ratios
knobs     RapidOCR settings and render DPI (KNOBS; ``--knobs 0,7`` picks some) on ``--knob-docs``
          scans (0 = all), each setting in a fresh process pinned to one CPU with its own engine
          (ocr.py's parameters plus the setting's): s/page, accuracy

OMP_NUM_THREADS is 1 for every process; pinned processes use the last CPU. Times are CPU seconds
(``time.process_time``, robust to a shared machine) with wall seconds beside them. The defaults
take about an hour on 2 busy shared cores (accuracy 20 min, knobs 2-3 min a setting);
``--sections knobs --knob-docs 2 --knobs 0,11`` is a quick look.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.evaluate import _mean, _pct  # noqa: E402
from pipelines.parser import ocr, parse_document, pdfpage  # noqa: E402
from tests.scans import scanned_copy  # noqa: E402
from tests.truth_score import overall, score  # noqa: E402

SECTIONS = ("accuracy", "timing", "text", "knobs")
THREADS = "EngineConfig.onnxruntime.intra_op_num_threads"


@dataclass(frozen=True)
class Setting:
    """RapidOCR parameters added to ocr.py's, the render DPI and the CPUs the process may use."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    dpi: int = ocr.DPI
    cpus: int = 1


DET_1280 = {"Det.limit_type": "max", "Det.limit_side_len": 1280}  # detect on a smaller image
DET_960 = {"Det.limit_type": "max", "Det.limit_side_len": 960}
BATCH_1 = {"Rec.rec_batch_num": 1}  # no padding of a short line to the batch's longest
KNOBS = (
    Setting("ocr.py as is"),
    Setting("render 150 dpi", dpi=150),
    Setting("Det limit max 1280", DET_1280),
    Setting("Det limit max 960", DET_960),
    Setting("Det limit max 736", {"Det.limit_type": "max", "Det.limit_side_len": 736}),
    Setting("Global.max_side_len 1600", {"Global.max_side_len": 1600}),
    Setting("Rec.rec_batch_num 16", {"Rec.rec_batch_num": 16}),
    Setting("Rec.rec_batch_num 1", BATCH_1),
    Setting("intra_op threads 2 (2 CPUs)", {THREADS: 2}, cpus=2),
    Setting("150 dpi + Det max 960", DET_960, 150),
    Setting("Det max 1280 + batch 1", {**DET_1280, **BATCH_1}),
    Setting("Det max 960 + batch 1", {**DET_960, **BATCH_1}),
    Setting("150 dpi + Det max 960 + batch 1", {**DET_960, **BATCH_1}, 150),
)


@dataclass
class Run:
    """One setting's parses of scans in one process."""

    load: float  # engine: import, construction and model load, wall seconds
    results: dict[str, dict] = field(default_factory=dict)
    cpu: float = 0.0  # parse_document, summed over documents
    wall: float = 0.0
    pages: list[tuple[float, float]] = field(default_factory=list)  # scan_page (cpu, wall)

    @property
    def ocr_pages(self) -> int:
        return sum(r["parse"].get("ocr_pages", 0) for r in self.results.values())


# --- worker side ---------------------------------------------------------------------------------

_PAGES: list[tuple[float, float]] = []
_LOAD = 0.0


def _clock() -> tuple[float, float]:
    return time.process_time(), time.perf_counter()


def _since(start: tuple[float, float]) -> tuple[float, float]:
    cpu, wall = _clock()
    return cpu - start[0], wall - start[1]


def _pin(cpus: int) -> None:
    os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[-cpus:])


def _init_setting(setting: Setting) -> None:
    """Pin, build ocr.py's engine with the setting's parameters added, and time scan_page."""
    global _LOAD
    _pin(setting.cpus)
    start = time.perf_counter()
    import rapidocr  # with onnxruntime: part of the load
    from omegaconf import OmegaConf

    original = rapidocr.RapidOCR

    def tuned(params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return original(params={**(params or {}), **setting.params}, **kwargs)

    rapidocr.RapidOCR = tuned  # ocr.engine() imports it when it builds the engine
    try:
        ocr._ENGINE = None
        engine = ocr.engine()
    finally:
        rapidocr.RapidOCR = original
    for key, value in setting.params.items():  # the engine ocr.py built has the setting
        if OmegaConf.select(engine.cfg, key) != value:
            raise RuntimeError(f"{setting.name}: ocr.engine() did not take {key}={value}")
    engine._load_det_model()  # RapidOCR loads its models on first use: load them now
    engine._load_rec_model()
    _LOAD = time.perf_counter() - start
    ocr.SCALE = setting.dpi / 72
    scan_page = ocr.scan_page

    def timed(page: Any) -> ocr.Scan:
        start = _clock()
        try:
            return scan_page(page)
        finally:
            _PAGES.append(_since(start))

    ocr.scan_page = timed  # pdfpage.read_pages imports it from ocr at each call
    if hasattr(pdfpage, "scan_page"):
        pdfpage.scan_page = timed


def _load_time() -> float:
    return _LOAD


def _parse_scan(path: Path) -> tuple[dict, float, float, list[tuple[float, float]]]:
    """Parse the scan of ``path``: result, CPU and wall seconds, scan_page times."""
    data = scanned_copy(path.read_bytes())
    _PAGES.clear()
    start = _clock()
    result = parse_document(data)
    return (result, *_since(start), list(_PAGES))


def _parse_both(path: Path) -> tuple[dict, dict]:
    data = path.read_bytes()
    return parse_document(data), parse_document(scanned_copy(data))


def _time_text(paths: list[Path], rounds: int) -> tuple[dict[str, list[float]], int]:
    """CPU seconds per round, summed over ``paths``: parse_document, the ``needs_ocr`` calls
    inside it, and read_pages with and without OCR; and how many pages parse_document OCR'd."""
    _pin(1)
    datas = [p.read_bytes() for p in paths]
    detect = [0.0]
    needs_ocr = ocr.needs_ocr

    def timed(*args: Any) -> bool:
        start = time.process_time()
        try:
            return needs_ocr(*args)
        finally:
            detect[0] += time.process_time() - start

    ocr.needs_ocr = timed  # pdfpage.read_pages imports it from ocr at each call
    jobs: dict[str, Callable[[bytes], object]] = {
        "parse_document": parse_document,
        "read_pages ocr=True": lambda d: pdfpage.read_pages(d, ocr=True),
        "read_pages ocr=False": lambda d: pdfpage.read_pages(d, ocr=False),
    }
    times: dict[str, list[float]] = {name: [] for name in [*jobs, "needs_ocr in parse"]}
    for number in range(rounds + 1):  # round 0 warms up and is dropped
        order = list(jobs.items())
        for name, job in order if number % 2 else reversed(order):
            detect[0], start = 0.0, time.process_time()
            for data in datas:
                job(data)
            if number:
                times[name].append(time.process_time() - start)
                if name == "parse_document":
                    times["needs_ocr in parse"].append(detect[0])
    ocr_pages = sum(parse_document(d)["parse"].get("ocr_pages", 0) for d in datas)
    return times, ocr_pages


# --- parent side ---------------------------------------------------------------------------------


def _documents(truth_dir: Path, records: Path) -> dict[str, tuple[Path, dict]]:
    """stem -> (fixture PDF, truth) for every truth file whose PDF is there."""
    docs = {}
    for path in sorted(truth_dir.glob("*.json")):
        truth = json.loads(path.read_text(encoding="utf-8"))
        pdf = records / truth.get("file", f"{path.stem}.pdf")
        if pdf.suffix.lower() == ".pdf" and pdf.is_file():
            docs[path.stem] = (pdf, truth)
    return docs


def _spread(items: list[str], n: int) -> list[str]:
    """``n`` of ``items`` evenly spread over the list (all when n is 0 or too large)."""
    if not 0 < n < len(items):
        return items
    return [items[i * len(items) // n] for i in range(n)]


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _run_setting(setting: Setting, paths: dict[str, Path]) -> Run:
    """Parse the scans of ``paths`` one after another in a fresh process set up for ``setting``."""
    with ProcessPoolExecutor(1, initializer=_init_setting, initargs=(setting,)) as pool:
        run = Run(load=pool.submit(_load_time).result())
        for stem, path in paths.items():
            result, cpu, wall, pages = pool.submit(_parse_scan, path).result()
            run.results[stem] = result
            run.cpu, run.wall = run.cpu + cpu, run.wall + wall
            run.pages += pages
    return run


def _accuracy(results: dict[str, dict], docs: dict[str, tuple[Path, dict]]) -> dict[str, dict]:
    return {stem: score(result, docs[stem][1]) for stem, result in results.items()}


def _overall(scores: dict[str, dict]) -> float | None:
    return _mean([overall(s) for s in scores.values()])


def section_accuracy(docs: dict[str, tuple[Path, dict]], workers: int, verbose: bool) -> None:
    start = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        results = pool.map(_parse_both, [path for path, _ in docs.values()])
        pairs = dict(zip(docs, results, strict=True))
    text = _accuracy({stem: pair[0] for stem, pair in pairs.items()}, docs)
    scan = _accuracy({stem: pair[1] for stem, pair in pairs.items()}, docs)
    pages = sum(pair[0]["parse"].get("pages") or 0 for pair in pairs.values())
    ocr_pages = sum(pair[1]["parse"].get("ocr_pages", 0) for pair in pairs.values())
    print(f"== accuracy: {len(docs)} documents, {pages} pages ({ocr_pages} OCR'd in the scans)")
    print(f"parsed in {time.perf_counter() - start:.0f} s with {workers} workers\n")
    print(f"overall field accuracy  text {_pct(_overall(text))}   scan {_pct(_overall(scan))}")
    by_field: dict[str, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    for stem in docs:
        for name, value in text[stem]["fields"].items():
            by_field[name][0].append(value)
            by_field[name][1].append(scan[stem]["fields"][name])
    print(f"\n{'field':<18} {'text':>6}  {'scan':>6}  {'docs':>4}")
    for name, (t, s) in by_field.items():
        print(f"{name:<18} {_pct(_mean(t)):>6}  {_pct(_mean(s)):>6}  {len(t):>4}")
    low = [stem for stem in docs if overall(scan[stem]) < 0.9]
    print(f"\nscans below 0.9: {len(low)}")
    for stem in low:
        warnings = pairs[stem][1]["parse"].get("warnings") or []
        print(
            f"  {stem}  scan {_pct(overall(scan[stem]))}  text {_pct(overall(text[stem]))}"
            f"  {len(scan[stem]['mismatches'])} mismatches  {len(warnings)} warnings"
        )
    if verbose:
        print("\nscans below their text PDF, with the mismatches the text PDF does not have:")
        for stem in docs:
            if overall(scan[stem]) < overall(text[stem]):
                print(
                    f"  {stem}  scan {_pct(overall(scan[stem]))}  text {_pct(overall(text[stem]))}"
                )
                for line in scan[stem]["mismatches"]:
                    if line not in text[stem]["mismatches"]:
                        print(f"      {line}")


def section_timing(docs: dict[str, tuple[Path, dict]], n: int) -> None:
    stems = _spread(list(docs), n)
    run = _run_setting(KNOBS[0], {stem: docs[stem][0] for stem in stems})
    cpu = [p[0] for p in run.pages]
    wall = [p[1] for p in run.pages]
    print(f"\n== OCR time: {len(stems)} scans, {run.ocr_pages} OCR'd pages, one process, one CPU")
    print(f"engine load (import, build, models)  {run.load:.2f} s wall")
    pages = max(1, run.ocr_pages)
    per_page = f"{run.cpu / pages:.2f} s cpu  {run.wall / pages:.2f} s wall"
    print(f"parse_document / OCR'd page          {per_page}")
    if cpu:
        print(
            f"scan_page per page                   mean {statistics.fmean(cpu):.2f} s cpu"
            f"  median {statistics.median(cpu):.2f} s cpu"
            f" ({statistics.median(wall):.2f} wall)  p90 {_quantile(cpu, 0.9):.2f} s cpu"
            f" ({_quantile(wall, 0.9):.2f} wall)"
        )


def section_text(docs: dict[str, tuple[Path, dict]], rounds: int) -> None:
    paths = [path for path, _ in docs.values()]
    with ProcessPoolExecutor(1) as pool:
        times, ocr_pages = pool.submit(_time_text, paths, rounds).result()
    print(f"\n== text PDFs: {len(paths)} files, {rounds} rounds, CPU s summed over the files")
    for name, values in times.items():
        listed = ", ".join(f"{v:.3f}" for v in values)
        print(f"{name:<22} median {statistics.median(values):6.3f} s   ({listed})")
    parse, detect = times["parse_document"], times["needs_ocr in parse"]
    with_ocr, without = times["read_pages ocr=True"], times["read_pages ocr=False"]
    ratio = statistics.median(p / (p - d) for p, d in zip(parse, detect, strict=True))
    pages = statistics.median(a / b for a, b in zip(with_ocr, without, strict=True))
    print(f"parse_document / parse_document without needs_ocr   {ratio:.4f}")
    print(f"read_pages ocr=True / ocr=False (same round)        {pages:.3f}")
    print(f"text pages OCR'd by parse_document                  {ocr_pages}")


def section_knobs(docs: dict[str, tuple[Path, dict]], n: int, knobs: list[int]) -> None:
    stems = _spread(list(docs), n)
    paths = {stem: docs[stem][0] for stem in stems}
    listed = f": {', '.join(stems)}" if len(stems) <= 10 else ""
    print(f"\n== knobs on {len(stems)} scans{listed}")
    print(f"{'#':>2} {'setting':<32} {'cpu s/page':>10} {'wall':>5} {'p90 cpu':>7} {'accuracy':>8}")
    rows = []
    for index in knobs:
        setting = KNOBS[index]
        run = _run_setting(setting, paths)
        pages = max(1, run.ocr_pages)
        per_page = run.cpu / pages
        accuracy = _overall(_accuracy(run.results, docs)) or 0.0
        p90 = _quantile([p[0] for p in run.pages], 0.9) if run.pages else float("nan")
        rows.append((setting, per_page, accuracy))
        print(
            f"{index:>2} {setting.name:<32} {per_page:>10.2f} {run.wall / pages:>5.2f}"
            f" {p90:>7.2f} {_pct(accuracy):>8}",
            flush=True,
        )
    fits = [r for r in rows if r[0].cpus == 1 and r[1] <= 3.0 and r[2] >= 0.9]
    best = max(fits, key=lambda r: (r[2], -r[1]), default=None)
    print(
        "most accurate one-CPU setting at <= 3 s/page (accuracy >= 0.90): "
        f"{best[0].name if best else 'none'}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--truth", type=Path, default=ROOT / "tests" / "truth")
    ap.add_argument("--records", type=Path, default=ROOT / "tests" / "fixtures" / "records")
    ap.add_argument("--docs", nargs="+", metavar="STEM", help="only these documents")
    ap.add_argument("--limit", type=int, default=0, help="N documents spread over the list")
    ap.add_argument("--workers", type=int, default=2, help="parse pool of the accuracy section")
    ap.add_argument("--timing-docs", type=int, default=10, help="scans timed (0 = all)")
    ap.add_argument("--knob-docs", type=int, default=6, help="scans per setting (0 = all)")
    ap.add_argument(
        "--knobs", default=",".join(map(str, range(len(KNOBS)))), help="settings (# in the table)"
    )
    ap.add_argument("--rounds", type=int, default=3, help="rounds of the text section")
    ap.add_argument("--sections", default=",".join(SECTIONS), help="comma-separated")
    ap.add_argument("--verbose", action="store_true", help="what the scans lose")
    args = ap.parse_args(argv)
    # Inherited by the worker processes, the only ones that import onnxruntime.
    os.environ["OMP_NUM_THREADS"] = "1"

    docs = _documents(args.truth, args.records)
    if args.docs:
        missing = sorted(set(args.docs) - set(docs))
        if missing:
            ap.error(f"no truth or PDF for: {', '.join(missing)}")
        docs = {stem: docs[stem] for stem in args.docs}
    docs = {stem: docs[stem] for stem in _spread(list(docs), args.limit)}
    sections = args.sections.split(",")
    if set(sections) - set(SECTIONS):
        ap.error(f"sections are {', '.join(SECTIONS)}")
    if "accuracy" in sections:
        section_accuracy(docs, args.workers, args.verbose)
    if "timing" in sections:
        section_timing(docs, args.timing_docs)
    if "text" in sections:
        section_text(docs, args.rounds)
    if "knobs" in sections:
        section_knobs(docs, args.knob_docs, [int(k) for k in args.knobs.split(",")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
