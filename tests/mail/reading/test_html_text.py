"""HTML to text: paragraphs, lists, tables, redline marks, scripts."""

from __future__ import annotations

from mail.reading.html_text import html_to_text


def test_paragraphs_entities_and_scripts() -> None:
    html = (
        "<html><head><style>p{color:red}</style><script>alert('x')</script></head><body>"
        "<p>Estimados&nbsp;colegas:</p><p>México se suma al consenso &amp; aprueba.</p>"
        "</body></html>"
    )
    assert html_to_text(html) == "Estimados colegas:\n\nMéxico se suma al consenso & aprueba."


def test_lists_are_numbered_or_bulleted() -> None:
    html = "<ol><li>Uno</li><li>Dos</li></ol><ul><li>Tres</li></ul>"
    assert html_to_text(html) == "1. Uno\n2. Dos\n\n- Tres"


def test_strike_and_underline_become_marks() -> None:
    html = "<p>plazo de <s>cinco</s> <u>diez</u> días y <del>anual</del><ins>semestral</ins></p>"
    text = html_to_text(html)
    assert text == "plazo de [-cinco-] {+diez+} días y [-anual-]{+semestral+}"
    styled = '<p><span style="text-decoration: line-through">viejo</span> nuevo</p>'
    assert html_to_text(styled) == "[-viejo-] nuevo"


def test_data_table_rows_and_layout_tables() -> None:
    html = (
        "<table><tr><td>Párrafo</td><td>Propuesta</td></tr>"
        "<tr><td>3</td><td><p>Diez días.</p></td></tr></table>"
    )
    assert html_to_text(html) == "\u2016 Párrafo \u2016 Propuesta\n\n\u2016 3 \u2016 Diez días."
    layout = "<table><tr><td><table><tr><td>a</td><td>b</td></tr></table></td></tr></table>"
    assert html_to_text(layout) == "\u2016 a \u2016 b"


def test_blockquote_prefix() -> None:
    assert html_to_text("<p>Sí.</p><blockquote>Cita<br>dos</blockquote>") == "Sí.\n\n> Cita\n> dos"


def test_deeply_nested_tags_do_not_crash() -> None:
    html = "<div>" * 50_000 + "Aprobamos." + "</div>" * 50_000
    assert html_to_text(html) == "Aprobamos."
