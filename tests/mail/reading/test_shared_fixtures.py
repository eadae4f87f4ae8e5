"""An extra check, where it exists: the team's shared development set beside the repository
(../shared/fixtures/replies), scored with the same rules as our corpus. A fresh clone has no such
folder; the module then skips with one sentence, visible with `pytest -ra`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.replies.scoring import score

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "replies"

if not (SHARED / "labels.json").exists():
    pytest.skip(
        f"The shared development set is not beside this checkout ({SHARED}), so it is not scored.",
        allow_module_level=True,
    )


def test_prints_accuracy_on_the_shared_set(capsys: pytest.CaptureFixture[str]) -> None:
    """Printed like the corpus's figures; the reader reads every shared message right."""
    result = score(SHARED)
    with capsys.disabled():
        print("\n" + "\n".join(result.lines(f"the shared set ({SHARED})")))
    assert result.total > 0
    assert result.wrong == {}, sorted(result.wrong)
