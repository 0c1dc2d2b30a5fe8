"""Hunan-style list pages: entries written by document.write() from literals and string variables."""

from __future__ import annotations

from sources.docwrite import render


def test_literals_escapes_and_variables_are_written_in_place() -> None:
    page = ('<ul id="list"><script>var u = "./a.html", t = \'\\u901a\\u77e5\\x41\';'
            'document.write("<li><a href=\\"" + u + "\\">" + t + "<\\/a></li>");</script></ul>')
    assert render(page) == '<ul id="list"><li><a href="./a.html">通知A</a></li></ul>'


def test_what_cannot_be_worked_out_writes_nothing_and_comparisons_assign_nothing() -> None:
    page = ("<script>var t = 'x'; if (t == 'y') {} document.write(t + more);"
            "document.write(t.toUpperCase()); document.write(t);</script><p>static</p>")
    assert render(page) == "x<p>static</p>"


def test_variables_carry_over_to_later_scripts_and_later_assignments_win() -> None:
    page = "<script>var t = 'a';</script><script>t = 'b'; document.write(t)</script>"
    assert render(page) == "b"


def test_attributes_inside_written_strings_are_not_taken_for_variables() -> None:
    page = ("<script>var u = './a.html'; document.write(\"<a href='\" + u + \"' title='x'>a</a>\");"
            "document.write(title);</script>")
    assert render(page) == "<a href='./a.html' title='x'>a</a>"
