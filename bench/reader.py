"""Reply reader accuracy and speed over a labelled reply folder (run by hand).

    uv run python bench/reader.py [--repeat N] [--verbose] [--fixtures FOLDER]

FOLDER defaults to the repository's corpus (tests/fixtures/replies); any folder with the same
layout (labels.json, drafts/, messages/) can be given, e.g. the team's shared development set.

Prints per-field accuracy (kind, position, extension, language), amendment precision / recall /
F1 under the fixtures' README rules, the messages that disagree, and reading time per message
(overall and for plain-text, HTML-only and .docx messages separately).

Then, against the candidate libraries (dev dependencies; issue #16): the sender's own text per
client layout (tests/fixtures/replies/own_text/) for ours, mail-parser-reply, quotequail and
email-reply-parser; per mail system (tests/fixtures/bounces/), the delivery reports read as
bounces, their outcome and their addresses exactly, for ours and flufl.bounce alone; and the
time of pathological bodies (one 707,000-character line of '>', and others) for each.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Run as a script, bench/ comes first on the path and bench/mail.py would shadow the mail
# package: the repository's root takes its place.
ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)

from bench.bounces import CORPUS as BOUNCES  # noqa: E402
from bench.bounces import READERS, outcome  # noqa: E402
from mail.reading import read_reply, split_paragraphs, to_label  # noqa: E402
from mail.reading.mime import collect  # noqa: E402
from tests.fixtures.replies import CORPUS  # noqa: E402
from tests.fixtures.replies.own_scoring import FOLDER as OWN_FOLDER  # noqa: E402
from tests.fixtures.replies.own_scoring import body_of, by_family, ours  # noqa: E402
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


def candidates() -> dict[str, Callable[[bytes], str]]:
    """Own-text readers: ours (the whole reader), and each library given the same body text."""
    import quotequail  # type: ignore[import-untyped]
    from email_reply_parser import EmailReplyParser  # type: ignore[import-untyped]
    from mailparser_reply import EmailReplyParser as MailParserReply  # type: ignore[import-untyped]

    # Every language mail-parser-reply knows that focal points' clients may run in.
    languages = ["en", "es", "fr", "de", "it", "nl", "da", "sv", "pl"]
    multi = MailParserReply(languages=languages)

    def quotequail_own(raw: bytes) -> str:
        # quotequail keeps the attribution line with the reply: drop it when it is the last line.
        kept = "\n".join(text for own, text in quotequail.quote(body_of(raw)) if own)
        lines = kept.rstrip().split("\n")
        return "\n".join(lines[:-1] if lines and lines[-1].rstrip().endswith(":") else lines)

    return {
        "ours": ours,
        "mail-parser-reply": lambda raw: multi.parse_reply(body_of(raw)) or "",
        "quotequail": quotequail_own,
        "email-reply-parser": lambda raw: EmailReplyParser.parse_reply(body_of(raw)),
    }


def own_text_figures() -> None:
    """Own text right per client layout, for ours and each candidate library."""
    readers = candidates()
    results = {name: by_family(reader) for name, reader in readers.items()}
    families = list(results["ours"][0])
    print(f"\nown text right, per client layout ({OWN_FOLDER.relative_to(ROOT)}):")
    print(f"  {'layout':<30}" + "".join(f"{name:>20}" for name in readers))
    for family in [*families, "all"]:
        row = f"  {family:<30}"
        for name in readers:
            figures = results[name][0]
            right_, total = (
                figures[family]
                if family != "all"
                else tuple(map(sum, zip(*figures.values(), strict=True)))
            )
            row += f"{f'{right_}/{total} {right_ / total:5.0%}':>20}"
        print(row)


_SYSTEMS = (
    ("office365", "exchange/office365"),
    ("exchange", "exchange/office365"),
    ("exim", "exim"),
    ("postfix", "postfix"),
    ("gmail", "gmail"),
    ("sendmail", "sendmail"),
    ("domino", "domino"),
    ("groupwise", "groupwise"),
    ("qmail", "qmail"),
)


def _system(name: str) -> str:
    return next((family for key, family in _SYSTEMS if key in name), "other formats")


def bounce_figures() -> None:
    """Per mail system: read as a bounce, outcome right, addresses exact, delay/success read as
    a failure; ours (fields, then flufl.bounce, then words) against flufl.bounce alone."""
    labels = json.loads((BOUNCES / "labels.json").read_text("utf-8"))
    rows: dict[str, list[int]] = defaultdict(lambda: [0] * 8)
    for name, label in sorted(labels.items()):
        raw = (BOUNCES / name).read_bytes()
        want = outcome(label["action"])
        row = rows[_system(name)]
        row[0] += 1
        row[1] += read_reply(raw, ["uno"]).kind == "bounce"
        for offset, reader in ((2, READERS["combined"]), (5, READERS["flufl.bounce"])):
            got, addresses = reader(raw)
            row[offset] += got == want
            exact = want == "none" or set(addresses) == set(label["addresses"])
            row[offset + 1] += exact
            row[offset + 2] += want != "failed" and got == "failed"
    print(f"\ndelivery reports per mail system ({BOUNCES.relative_to(ROOT)}):")
    print(
        f"  {'system':<20}{'n':>4}{'bounce':>8}  {'ours: outcome':>14}{'addresses':>10}"
        f"{'false fail':>11}  {'flufl: outcome':>15}{'addresses':>10}{'false fail':>11}"
    )
    total = [sum(column) for column in zip(*rows.values(), strict=True)]
    for system, row in [*sorted(rows.items()), ("all", total)]:
        n = row[0]
        print(
            f"  {system:<20}{n:>4}{row[1] / n:>8.0%}  {row[2] / n:>14.0%}{row[3] / n:>10.0%}"
            f"{row[4]:>11}  {row[5] / n:>15.0%}{row[6] / n:>10.0%}{row[7]:>11}"
        )


def pathological_bodies() -> dict[str, bytes]:
    """Bodies that made regexes and the HTML parser slow (issue #16): 707,000 characters each."""
    n = 707_000

    def message(body: str, content_type: str = "text/plain") -> bytes:
        head = f"From: a@b.example\r\nSubject: Re: x\r\nContent-Type: {content_type}\r\n\r\n"
        return (head + body + "\r\n").encode()

    return {
        "one line of '>'": message(">" * n),
        "own words, then '>' x 707,000": message("Aprobamos el texto.\r\n\r\n" + ">" * n),
        "one line of '-'": message("-" * n),
        "one line of ':'": message(":" * n),
        "one line of 'no objetamos'": message("no tenemos objeciones " * (n // 22)),
        "HTML: '<' x 707,000": message("<" * n, "text/html"),
        "'From: x' lines": message("From: x\r\n" * (n // 9)),
    }


def pathological_figures() -> None:
    readers = candidates()
    print("\npathological bodies, CPU seconds per read (each 707,000 characters):")
    print(f"  {'body':<32}" + "".join(f"{name:>20}" for name in readers))
    for label, raw in pathological_bodies().items():
        row = f"  {label:<32}"
        for reader in readers.values():
            started = time.process_time()  # CPU time: the machine may be shared
            reader(raw)
            row += f"{time.process_time() - started:>19.2f}s"
        print(row, flush=True)


if __name__ == "__main__":
    main()
    own_text_figures()
    bounce_figures()
    pathological_figures()
