"""Every message of the repository's corpus (tests/fixtures/replies) gives its full expected
label under the corpus README's comparison rules; the per-field accuracy is printed."""

from __future__ import annotations

import pytest

from tests.fixtures.replies import CORPUS
from tests.fixtures.replies.build import built
from tests.fixtures.replies.scoring import differences, label_of, load, score

LABELS = load(CORPUS)

# What the reader misses today, by message. Each is a strict xfail: it turns red once fixed,
# and then leaves this list.
MISSES: dict[str, str] = {}


def _case(name: str) -> object:
    if name in MISSES:
        return pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=MISSES[name]))
    return name


@pytest.mark.parametrize("name", [_case(name) for name in sorted(LABELS)])
def test_corpus_message_gives_its_label(name: str) -> None:
    case = LABELS[name]
    label = label_of(CORPUS, name, case)
    assert differences(label, case["expected"]) == [], f"{name} ({case['note']}): {label!r}"


def test_corpus_is_large_and_varied() -> None:
    kinds = {case["expected"]["kind"] for case in LABELS.values()}
    positions = {case["expected"]["position"] for case in LABELS.values()}
    assert len(LABELS) >= 60 and kinds == {"reply", "auto_reply", "bounce", "other"}
    assert positions == {"approve", "amend", "object", "abstain", None}
    assert set(MISSES) <= set(LABELS)


def test_committed_corpus_is_what_build_writes() -> None:
    messages, labels = built()
    assert (CORPUS / "labels.json").read_bytes() == labels
    on_disk = {p.name: p.read_bytes() for p in (CORPUS / "messages").glob("*.eml")}
    assert on_disk == messages


def test_prints_per_field_accuracy(capsys: pytest.CaptureFixture[str]) -> None:
    """The figures printed with the run; the messages read wrongly are exactly the listed
    misses (a fix or a regression both show here)."""
    result = score(CORPUS)
    with capsys.disabled():
        print("\n" + "\n".join(result.lines("the repository's corpus")))
    assert set(result.wrong) == set(MISSES)
