"""Reply reader accuracy and speed over a labelled reply folder (run by hand).

    uv run python bench/reader.py [--repeat N] [--verbose] [--fixtures FOLDER]

FOLDER defaults to the repository's corpus (tests/fixtures/replies); any folder with the same
layout (labels.json, drafts/, messages/) can be given, e.g. the team's shared development set.

Prints per-field accuracy (kind, position, extension, language), amendment precision / recall /
F1 under the fixtures' README rules, the messages that disagree, and reading time per message
(overall and for plain-text, HTML-only and .docx messages separately).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

# Run as a script, bench/ comes first on the path and bench/mail.py would shadow the mail
# package: the repository's root takes its place.
sys.path[0] = str(Path(__file__).resolve().parents[1])

from mail.reading import read_reply, split_paragraphs, to_label  # noqa: E402
from mail.reading.mime import collect  # noqa: E402
from tests.fixtures.replies import CORPUS  # noqa: E402
from tests.fixtures.replies.scoring import FIELDS, amendments_match, load  # noqa: E402


def _family(raw: bytes) -> str:
    parts = collect(raw)
    if any(a.filename.lower().endswith(".docx") for a in parts.attachments):
        return "docx"
    return "plain" if parts.plain is not None else "html"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed reads per message")
    parser.add_argument("--verbose", action="store_true", help="print every message's result")
    parser.add_argument("--fixtures", type=Path, default=CORPUS, help="a labelled reply folder")
    args = parser.parse_args()
    folder: Path = args.fixtures
    labels: dict[str, Any] = load(folder)
    correct = dict.fromkeys(FIELDS, 0)
    true_positives = got_total = expected_total = 0
    times: dict[str, list[float]] = {"plain": [], "html": [], "docx": []}
    for name, case in sorted(labels.items()):
        paragraphs = split_paragraphs((folder / case["draft"]).read_text(encoding="utf-8"))
        raw = (folder / "messages" / name).read_bytes()
        started = time.perf_counter()
        for _ in range(args.repeat):
            reading = read_reply(raw, paragraphs)
        times[_family(raw)].append((time.perf_counter() - started) / args.repeat)
        label, expected = to_label(reading), case["expected"]
        wrong = [f for f in FIELDS if label[f] != expected[f]]
        for field in FIELDS:
            correct[field] += field not in wrong
        got: list[dict[str, Any]] = label["amendments"]  # type: ignore[assignment]
        hits, _ = amendments_match(got, expected["amendments"])
        true_positives += hits
        got_total += len(got)
        expected_total += len(expected["amendments"])
        amendments_ok = hits == len(got) == len(expected["amendments"])
        if wrong or not amendments_ok or args.verbose:
            status = "ok " if not wrong and amendments_ok else "BAD"
            print(
                f"{status} {name}: wrong={wrong} amendments {hits}/{len(got)} got, "
                f"{len(expected['amendments'])} expected; review={reading.review_reasons}"
            )
    total = len(labels)
    print(f"\nmessages: {total} in {folder}")
    for field in FIELDS:
        print(f"  {field:<20} {correct[field]:>3}/{total}  {correct[field] / total:6.1%}")
    precision = true_positives / got_total if got_total else 1.0
    recall = true_positives / expected_total if expected_total else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(
        f"  amendments           precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}"
        f"  ({true_positives} matched, {got_total} read, {expected_total} expected)"
    )
    everything = [t for family in times.values() for t in family]
    print(
        f"\ntime per message: mean {statistics.mean(everything) * 1000:.1f} ms, "
        f"max {max(everything) * 1000:.1f} ms"
    )
    for family, values in times.items():
        if values:
            mean = statistics.mean(values)
            print(
                f"  {family:<6} {len(values):>3} messages  {mean * 1000:6.1f} ms/message  "
                f"{1 / mean:7.1f} messages/s"
            )
    notes_verbales()


# -- notes verbales (issue #17) ---------------------------------------------------------------


def notes_verbales() -> None:
    """The note corpus (tests/fixtures/notes) per kind of attachment, the PDF text extractors
    compared on its typed notes, and the two-page scanned note against its 10 s budget."""
    from tests.fixtures.notes import scoring

    print("\nnotes verbales (tests/fixtures/notes): right = label, hold reasons, reference, date")
    for line in scoring.score().lines():
        print("  " + line)
    _pdf_extractors(scoring.HERE)
    name = "n09-scan-es-approve-two-pages.eml"
    labels = scoring.load()
    runs = [scoring.read(name, labels[name])[1] for _ in range(3)]
    verdict = "within" if max(runs) < 10 else "OVER"
    each = ", ".join(f"{t:.2f}" for t in runs)
    print(
        f"\n  2-page scanned note, whole reply read 3 times: {each} s"
        f" (max {max(runs):.2f} s: {verdict} the 10 s budget)"
    )


def _pdf_extractors(folder: Path) -> None:
    """pypdf (layout mode, as the reader uses it), pdfminer.six and pypdfium2 on the typed
    notes: time per document, and how much of the printed text comes out, in order."""
    import io
    from difflib import SequenceMatcher

    import pdfminer.high_level
    import pypdf
    import pypdfium2

    from tests.fixtures.notes.cases import CASES

    def by_pypdf(data: bytes) -> str:
        reader = pypdf.PdfReader(io.BytesIO(data))
        return "\n".join(p.extract_text(extraction_mode="layout") for p in reader.pages)

    def by_pdfminer(data: bytes) -> str:
        return str(pdfminer.high_level.extract_text(io.BytesIO(data)))

    def by_pdfium(data: bytes) -> str:
        document = pypdfium2.PdfDocument(data)
        return "\n".join(page.get_textpage().get_text_range() for page in document)

    typed = [c for c in CASES if c.kind == "pdf"]
    print("\n  PDF text extractors on the typed notes (word sequence against the printed text)")
    for label, extract in (
        ("pypdf", by_pypdf),
        ("pdfminer.six", by_pdfminer),
        ("pypdfium2", by_pdfium),
    ):
        ratios, seconds = [], []
        for case in typed:
            data = (folder / "documents" / case.filename).read_bytes()
            printed = " ".join(case.document.paragraphs()).split()  # type: ignore[union-attr]
            started = time.perf_counter()
            text = extract(data)
            seconds.append(time.perf_counter() - started)
            ratios.append(SequenceMatcher(None, printed, text.split(), autojunk=False).ratio())
        mean, worst = statistics.mean(ratios), min(ratios)
        print(
            f"    {label:<13} words in order {mean:6.1%} (min {worst:6.1%})"
            f"  {statistics.mean(seconds) * 1000:6.1f} ms/document"
        )


if __name__ == "__main__":
    main()
