"""Text for a terminal: lines wrapped where a reader expects a break.

:func:`textwrap.fill` treats a run of Chinese text as one long word and cuts it anywhere, inside
"IPO", "(+118%)" or "12.47亿元". Here a line breaks only at a space or between two CJK
characters, never before closing punctuation (，。）) or after opening punctuation (（“); a piece
that cannot break and is wider than the line gets a line of its own. Wide characters count two
columns.
"""

from __future__ import annotations

import re
import unicodedata

# Ideographs, CJK punctuation, kana and full-width forms: a line may break between two of them.
_CJK = re.compile(r"[\u2e80-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")
_NO_BREAK_BEFORE = set("，。、；：？！）」』】》〉”’…—·,.;:?!)]}%")
_NO_BREAK_AFTER = set("（「『【《〈“‘([{")


def columns(text: str) -> int:
    """How many terminal columns ``text`` takes (wide and full-width characters count two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _may_break(before: str, after: str) -> bool:
    """A line may break between these two non-space characters."""
    return (bool(_CJK.match(before)) and bool(_CJK.match(after))
            and after not in _NO_BREAK_BEFORE and before not in _NO_BREAK_AFTER)


def _pieces(paragraph: str) -> list[tuple[str, str]]:
    """The unbreakable pieces of a paragraph, each with what separates it from the one before
    (``" "`` at a space, ``""`` between CJK characters)."""
    out: list[tuple[str, str]] = []
    for i, word in enumerate(paragraph.split()):
        start = 0
        for j in range(1, len(word)):
            if _may_break(word[j - 1], word[j]):
                out.append((word[start:j], " " if start == 0 and i > 0 else ""))
                start = j
        out.append((word[start:], " " if start == 0 and i > 0 else ""))
    return out


def wrap(text: str, width: int = 78, indent: str = "", subsequent: str | None = None) -> list[str]:
    """``text`` as lines of at most ``width`` columns (``indent`` included), broken only at spaces
    or between CJK characters. Line breaks in ``text`` are kept, and so is the indentation of each
    of its lines; other runs of spaces become one.

    >>> wrap("星河2025年上半年净亏损12.47亿元，IPO募资(+118%)", 20)
    ['星河2025年上半年净亏', '损12.47亿元，IPO募', '资(+118%)']
    """
    subsequent = indent if subsequent is None else subsequent
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lead = paragraph[:len(paragraph) - len(paragraph.lstrip())]
        prefix = indent + lead
        current, used = prefix, False
        for piece, sep in _pieces(paragraph):
            joined = current + (sep if used else "") + piece
            if used and columns(joined) > width:
                lines.append(current)
                current = subsequent + lead + piece
            else:
                current = joined
            used = True
        lines.append(current if used else prefix.rstrip())
    return lines


def fill(text: str, width: int = 78, indent: str = "", subsequent: str | None = None) -> str:
    """:func:`wrap` joined into one string."""
    return "\n".join(wrap(text, width, indent, subsequent))
