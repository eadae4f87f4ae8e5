"""Compare two versions of a text paragraph by paragraph and render the redline for email."""

import difflib
import html
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Language = Literal["es", "en"]

# Below this similarity two paragraphs in a replaced block are shown as one deleted and one
# inserted rather than as one modified paragraph full of word changes.
PAIRING_THRESHOLD = 0.5
# A replaced block this large is a rewrite, not an edit: show it as deleted then inserted rather
# than spend seconds pairing every old paragraph with every new one.
MAX_PAIRING_CELLS = 10_000

# Inline styles because Outlook desktop drops many <style> rules and Gmail strips some; colour
# and line together so the change still reads for colour-blind readers and in plain viewers.
INS_STYLE = "color:#1a7f37;text-decoration:underline"
DEL_STYLE = "color:#b42318;text-decoration:line-through"
_LABEL_STYLE = "color:#57606a"
_PARAGRAPH_STYLE = "margin:0 0 0.8em 0"

_LEGEND = {
    "es": ("Leyenda:", "texto añadido", "texto suprimido"),
    "en": ("Legend:", "inserted text", "deleted text"),
}
_WAS = {"es": "antes", "en": "was"}
_NEW = {"es": "nuevo", "en": "new"}

# A word or a punctuation mark with the spaces before it, so a bare space never anchors the
# alignment (difflib would happily match " " to " "); a comma change stays a comma change.
_TOKEN = re.compile(r"\s*(?:\w+|[^\w\s])|\s+")


class ChangeKind(StrEnum):
    UNCHANGED = "unchanged"
    MODIFIED = "modified"  # same paragraph, words changed: see ParagraphChange.words
    INSERTED = "inserted"  # only in the new version
    DELETED = "deleted"  # only in the old version


@dataclass(frozen=True, slots=True)
class WordChange:
    """A stretch of a modified paragraph: kept, inserted in the new text or deleted from the old."""

    op: Literal["equal", "insert", "delete"]
    text: str


@dataclass(frozen=True, slots=True)
class ParagraphChange:
    """One paragraph in the alignment; numbers are 1-based, None where the side has none."""

    kind: ChangeKind
    old_number: int | None
    new_number: int | None
    old_text: str | None
    new_text: str | None
    words: tuple[WordChange, ...] = ()


def paragraph_changes(old: Sequence[str], new: Sequence[str]) -> list[ParagraphChange]:
    """Align old and new paragraphs; modified ones carry their word-level changes."""
    matcher = difflib.SequenceMatcher(None, list(old), list(new), autojunk=False)
    changes: list[ParagraphChange] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            changes.extend(
                ParagraphChange(ChangeKind.UNCHANGED, i + 1, j + 1, old[i], new[j])
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            )
        else:
            changes.extend(_align_block(old, new, range(i1, i2), range(j1, j2)))
    return changes


def word_changes(old: str, new: str) -> tuple[WordChange, ...]:
    """Word-level diff of one paragraph; equal+delete spell old, equal+insert spell new."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    ops: list[WordChange] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        deleted, inserted = "".join(a[i1:i2]), "".join(b[j1:j2])
        if tag == "equal":
            ops.append(WordChange("equal", deleted))
            continue
        if tag == "replace":
            # "a [-cat-][+dog+]" reads better than "a[- cat-][+ dog+]".
            space = _common_leading_space(deleted, inserted)
            if space:
                _append_equal(ops, space)
                deleted, inserted = deleted[len(space) :], inserted[len(space) :]
        ops.extend(_changed(deleted, inserted))
    return tuple(ops)


def _append_equal(ops: list[WordChange], text: str) -> None:
    if ops and ops[-1].op == "equal":
        text = ops.pop().text + text
    ops.append(WordChange("equal", text))


def _common_leading_space(a: str, b: str) -> str:
    common = 0
    while common < min(len(a), len(b)) and a[common] == b[common] and a[common].isspace():
        common += 1
    return a[:common]


def _changed(deleted: str, inserted: str) -> list[WordChange]:
    out: list[WordChange] = []
    if deleted:
        out.append(WordChange("delete", deleted))
    if inserted:
        out.append(WordChange("insert", inserted))
    return out


def _align_block(
    old: Sequence[str], new: Sequence[str], olds: range, news: range
) -> Iterator[ParagraphChange]:
    """Within a replaced block, pair similar paragraphs in order; the rest are deleted/inserted."""
    pairs = _best_pairs(old, new, olds, news)
    i, j = olds.start, news.start
    for pi, pj in [*pairs, (olds.stop, news.stop)]:
        for k in range(i, pi):
            yield ParagraphChange(ChangeKind.DELETED, k + 1, None, old[k], None)
        for k in range(j, pj):
            yield ParagraphChange(ChangeKind.INSERTED, None, k + 1, None, new[k])
        if pi < olds.stop:
            words = word_changes(old[pi], new[pj])
            yield ParagraphChange(ChangeKind.MODIFIED, pi + 1, pj + 1, old[pi], new[pj], words)
        i, j = pi + 1, pj + 1


def _best_pairs(
    old: Sequence[str], new: Sequence[str], olds: range, news: range
) -> list[tuple[int, int]]:
    """Order-preserving pairing that maximises total similarity (a small weighted LCS)."""
    n, m = len(olds), len(news)
    if n * m > MAX_PAIRING_CELLS:
        return []
    sims = [[_similarity(old[i], new[j]) for j in news] for i in olds]
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    for x in range(n - 1, -1, -1):
        for y in range(m - 1, -1, -1):
            paired = score[x + 1][y + 1] + sims[x][y] if sims[x][y] >= PAIRING_THRESHOLD else -1.0
            score[x][y] = max(paired, score[x + 1][y], score[x][y + 1])
    pairs: list[tuple[int, int]] = []
    x = y = 0
    while x < n and y < m:
        if sims[x][y] >= PAIRING_THRESHOLD and score[x][y] == score[x + 1][y + 1] + sims[x][y]:
            pairs.append((olds[x], news[y]))
            x, y = x + 1, y + 1
        elif score[x][y] == score[x + 1][y]:
            x += 1
        else:
            y += 1
    return pairs


def _similarity(a: str, b: str) -> float:
    # Spaces would make any two sentences look alike; compare the words and marks only.
    words_a, words_b = _TOKEN.findall(a.casefold()), _TOKEN.findall(b.casefold())
    matcher = difflib.SequenceMatcher(
        None,
        [w for w in words_a if not w.isspace()],
        [w for w in words_b if not w.isspace()],
        autojunk=False,
    )
    # quick_ratio is an upper bound: skip the full match when it cannot reach the threshold.
    if matcher.quick_ratio() < PAIRING_THRESHOLD:
        return 0.0
    return matcher.ratio()


def _label(change: ParagraphChange, language: Language) -> str:
    parts = [f"{change.new_number}."] if change.new_number is not None else []
    if change.kind is ChangeKind.INSERTED:
        parts.append(f"({_NEW[language]})")
    elif change.old_number != change.new_number:
        parts.append(f"({_WAS[language]} {change.old_number})")
    return " ".join(parts)


def redline_text(
    changes: Sequence[ParagraphChange],
    *,
    language: Language,
    escape: Callable[[str], str] = str,
) -> str:
    """The text/plain redline: a legend, then one block per paragraph with [+…+] and [-…-].
    ``escape`` is applied to the paragraphs' words (a Markdown page escapes them)."""
    title, ins, dele = _LEGEND[language]
    blocks = [f"{title} [+{ins}+] [-{dele}-]"]
    for change in changes:
        blocks.append(f"{_label(change, language)} {_text_body(change, escape)}")
    return "\n\n".join(blocks) + "\n"


def _text_body(change: ParagraphChange, escape: Callable[[str], str]) -> str:
    if change.kind is ChangeKind.INSERTED:
        return f"[+{escape(change.new_text or '')}+]"
    if change.kind is ChangeKind.DELETED:
        return f"[-{escape(change.old_text or '')}-]"
    if change.kind is ChangeKind.UNCHANGED:
        return escape(change.new_text or "")
    marks = {"equal": "{}", "insert": "[+{}+]", "delete": "[-{}-]"}
    return "".join(marks[w.op].format(escape(w.text)) for w in change.words)


def redline_html(changes: Sequence[ParagraphChange], *, language: Language) -> str:
    """The HTML redline: <ins>/<del> with inline styles, all paragraph text escaped."""
    title, ins, dele = _LEGEND[language]
    legend = f"{_esc(title)} {_ins(ins)} {_del(dele)}"
    rows = [f'<p style="{_PARAGRAPH_STYLE};{_LABEL_STYLE}">{legend}</p>']
    for change in changes:
        label = f'<span style="{_LABEL_STYLE}">{_esc(_label(change, language))}</span>'
        rows.append(f'<p style="{_PARAGRAPH_STYLE}">{label} {_html_body(change)}</p>')
    return '<div class="consulta-redline">\n' + "\n".join(rows) + "\n</div>\n"


def _html_body(change: ParagraphChange) -> str:
    if change.kind is ChangeKind.INSERTED:
        return _ins(change.new_text or "")
    if change.kind is ChangeKind.DELETED:
        return _del(change.old_text or "")
    if change.kind is ChangeKind.UNCHANGED:
        return _esc(change.new_text or "")
    render = {"equal": _esc, "insert": _ins, "delete": _del}
    return "".join(render[w.op](w.text) for w in change.words)


def _esc(text: str) -> str:
    # Line breaks inside a paragraph are soft breaks in the draft; keep them visible.
    return html.escape(text, quote=True).replace("\n", "<br>")


def _ins(text: str) -> str:
    return f'<ins style="{INS_STYLE}">{_esc(text)}</ins>'


def _del(text: str) -> str:
    return f'<del style="{DEL_STYLE}">{_esc(text)}</del>'
