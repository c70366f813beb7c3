"""Which is the part and which the whole of a share ("海外收入占服装业务收入的7.5%").

A question asking the share of A in B is not answered by a figure giving the share of B (or of
something in A's place) in the whole: "服装业务收入占比62%" does not answer "海外收入占服装业务
收入的比例". The words that mark a share are data (``[shares]`` in the lexicon).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Callable

from index.text import content_tokens, has_cjk, normalise, proper_nouns, words

if TYPE_CHECKING:
    from index.values.lexicon import Lexicon

    from .terms import Terms

# where a clause ends: a share's part starts after the last of these before its share word
_CLAUSE = re.compile(r"[，,；;：:。！？!?、（(）)]")
# informative words: a word found in most of the corpus (the subject's name) tells no part from a whole
MIN_IDF = 1.0


class Layout(Enum):
    """How a share's words are laid out around its mark."""

    BETWEEN = "between"  # "A占B"
    OF_TOTAL = "of_total"  # "A占比": of the whole, unnamed
    WHOLE_FIRST = "whole_first"  # a question's "B中有多大比例…A"
    OF_WHOLE = "of_whole"  # a question's "what share of B came from A"


@dataclass(frozen=True)
class Share:
    """The part and the whole a share is of (``whole`` is empty for "of the total": 占比)."""

    part: str
    whole: str


def share_in(text: str, lex: Lexicon, question: bool = False) -> Share | None:
    """The last share ``text`` names: a question (``question``: its forms that only questions use
    are read too, and its asking words are left out), or a source's sentence up to where its figure
    stands (a share marked in an earlier clause is not the figure's)."""
    tables = [(lex.share_between, Layout.BETWEEN), (lex.share_of_total, Layout.OF_TOTAL)]
    if question:
        tables += [(lex.share_whole_first, Layout.WHOLE_FIRST), (lex.share_of_whole, Layout.OF_WHOLE)]
    marks = [(m.start(), m.end(), i, layout) for i, (table, layout) in enumerate(tables) if table.pattern is not None
             for m in table.pattern.finditer(text)]
    if not marks:
        return None
    start, end, _, layout = max(marks)  # the last; of two at one place, the longer (占比 over 占)
    before, after = text[:start], _CLAUSE.split(text[end:])[0]
    if not question and after != text[end:]:
        return None  # "A占B的30%，毛利率为": the share is another figure's
    if layout is Layout.OF_WHOLE:  # "what share of the company's revenue came from cloud services"
        turn = lex.share_part_after.pattern.search(after) if lex.share_part_after.pattern is not None else None
        return Share(after[turn.end():], after[:turn.start()]) if turn else None  # where the whole ends is unknown
    cut = [m.end() for m in _CLAUSE.finditer(before)]
    if layout is Layout.WHOLE_FIRST:  # "门店收入中有多大比例来自线上"
        return Share(_unasked(after, lex), before[cut[-1]:] if cut else before)
    part = before[cut[-1]:] if cut else before
    if not _content(part) and len(cut) >= 1:
        # "服装业务收入3亿元，占比62%": the part is named in the clause before
        earlier = before[:cut[-1] - 1]
        cut = [m.end() for m in _CLAUSE.finditer(earlier)]
        part = earlier[cut[-1]:] if cut else earlier
    if question:
        part, after = _unasked(part, lex), _unasked(after, lex)
    return Share(part, "" if layout is Layout.OF_TOTAL else after)


def _unasked(text: str, lex: Lexicon) -> str:
    """A question's words without its asking phrases ("多大比例来自线上" → "来自线上")."""
    kinds = lex.question_kinds.pattern
    return kinds.sub(" ", text) if kinds is not None else text


def _content(text: str) -> list[str]:
    """Words that can name a part or a whole: not one Chinese character (的, 占), not a number."""
    return [w for w in content_tokens(words(text)) if (has_cjk(w) and len(w) > 1) or (not has_cjk(w) and w.isalpha())]


def swapped(asked: Share, stated: Share, informative: Callable[[str], bool]) -> bool:
    """The figure's share is of something else than the question's: a word the question names in
    its part stands only in the figure's whole, or a word of the question's whole only in the
    figure's part."""
    part = {w for w in _content(asked.part) if informative(w)}
    whole = {w for w in _content(asked.whole) if informative(w)}
    if any(w in stated.whole and w not in stated.part for w in part - whole):
        return True
    return any(w in stated.part and w not in stated.whole for w in whole - part)


def other_part(stated: Share, terms: Terms, informative: Callable[[str], bool], asked: Share | None = None) -> bool:
    """The figure's share is of a part the question does not ask about: its part names a word the
    question lacks, and nothing the question asks for beyond what the wholes (the figure's, and
    the question's when it names one) already name ("人工成本占营业成本的20%" does not answer what
    share of 营业成本 went to 原材料; "来自欧洲市场的收入占比9%" does not answer what share of
    revenue came from online sales)."""
    if not terms:
        return False
    own = [w for w in _content(stated.part) if informative(w) and not terms.found(w)]
    if not own:
        return False
    asked_in_part = set(terms.found(normalise(stated.part)))
    wholes = set(terms.found(normalise(stated.whole))) if stated.whole else set()
    if asked is not None and asked.whole:
        wholes |= set(terms.found(normalise(asked.whole)))
    return not asked_in_part - wholes


def unheard(asked: Share, idf: dict[str, float]) -> tuple[str, ...]:
    """The places and names of a question's share part that no document of the corpus uses
    ("来自南极洲的收入占比" over articles that never name 南极洲): no figure of theirs is that
    share. Only proper nouns count: an ordinary word the articles happen not to use ("渠道") may
    still be what they speak of in other words."""
    if not idf:
        return ()
    return tuple(w for w in proper_nouns(asked.part) if has_cjk(w) and w not in idf)
