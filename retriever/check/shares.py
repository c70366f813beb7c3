"""Which is the part and which the whole of a share ("海外收入占服装业务收入的7.5%").

A question asking the share of A in B is not answered by a figure giving the share of B (or of
something in A's place) in the whole: "服装业务收入占比62%" does not answer "海外收入占服装业务
收入的比例". The words that mark a share are data (``[shares]`` in the lexicon).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from index.text import content_tokens, has_cjk, normalise, words

# where a clause ends: a share's part starts after the last of these before its share word
_CLAUSE = re.compile(r"[，,；;：:。！？!?、（(）)]")
# informative words: a word found in most of the corpus (the subject's name) tells no part from a whole
MIN_IDF = 1.0
# how a share's words are laid out: "A占B", "A占比", "B中有…A", "what share of B came from A"
_BETWEEN, _OF_TOTAL, _WHOLE_FIRST, _OF_WHOLE = 0, 1, 2, 3


@dataclass(frozen=True)
class Share:
    """The part and the whole a share is of (``whole`` is empty for "of the total": 占比)."""

    part: str
    whole: str


def share_in(text: str, lex, question: bool = False) -> Share | None:  # type: ignore[no-untyped-def]
    """The last share ``text`` names (folded text ending where its figure stands, or a question:
    ``question`` reads its English forms too, "what share of B came from A")."""
    marks = []
    tables = [(lex.share_between, _BETWEEN), (lex.share_of_total, _OF_TOTAL), (lex.share_whole_first, _WHOLE_FIRST)]
    if question:
        tables.append((lex.share_of_whole, _OF_WHOLE))
    for table, kind in tables:
        if table.pattern is not None:
            marks += [(m.start(), m.end(), kind) for m in table.pattern.finditer(text)]
    if not marks:
        return None
    start, end, kind = max(marks)  # the last; of two at one place, the longer (占比 over 占)
    before = text[:start]
    if kind == _OF_WHOLE:  # "what share of the company's revenue came from cloud services"
        rest = _CLAUSE.split(text[end:])[0]
        turn = lex.share_part_after.pattern.search(rest) if lex.share_part_after.pattern is not None else None
        return Share(rest[turn.end():], rest[:turn.start()]) if turn else None  # where the whole ends is unknown
    if kind == _WHOLE_FIRST:  # "研发开支中有多大比例花在算力上"
        cut = [m.end() for m in _CLAUSE.finditer(before)]
        return Share(_CLAUSE.split(text[end:])[0], before[cut[-1]:] if cut else before)
    cut = [m.end() for m in _CLAUSE.finditer(before)]
    part = before[cut[-1]:] if cut else before
    if not _content(part) and len(cut) >= 1:
        # "服装业务收入3亿元，占比62%": the part is named in the clause before
        earlier = before[:cut[-1] - 1]
        cut = [m.end() for m in _CLAUSE.finditer(earlier)]
        part = earlier[cut[-1]:] if cut else earlier
    whole = "" if kind == _OF_TOTAL else _CLAUSE.split(text[end:])[0]
    return Share(part, whole)


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


def other_part(stated: Share, terms, informative: Callable[[str], bool],  # type: ignore[no-untyped-def]
               asked: Share | None = None) -> bool:
    """The figure's share is of a part the question does not ask about: its part names a word the
    question lacks, and nothing the question asks for beyond what the wholes (the figure's, and
    the question's when it names one) already name ("工资成本占研发开支的14.8%" does not answer what
    share of 研发开支 went to 算力; "来自东南亚市场的收入占比11.1%" does not answer what share of
    revenue came from on-premise deployment)."""
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


def unheard(asked: Share, idf: dict[str, float], lex) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """The Chinese words of a question's share part that no document of the corpus uses ("来自中东
    地区的收入" over articles that never speak of 中东): no figure of theirs is that share."""
    if not idf:
        return ()
    return tuple(w for w in _content(asked.part)
                 if has_cjk(w) and w not in lex.question_words and w not in idf)
