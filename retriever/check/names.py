"""Who and where questions: which name a sentence gives the role the question asks about.

Names (:mod:`index.values.names`) are candidates like values, scored by :mod:`.align`. A
sentence usually names several people and places, so a name answers only when the question's
*role* — its words outside the names it holds itself ("who is the *chief scientist* of Zhipu")
— stands nearer to it than to any other name of its sentence ("首席科学家唐杰"), and makes up
``share`` of the role. A sentence that gives another role ("chief technology officer") does not
say who holds the one asked; a name in the place of the question's own ("海岑市长选举" for
"Port Edrin市长选举") speaks of another subject; names joined in a list ("唐杰和刘德兵") are not
told apart.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Callable

from index.claims import Claim
from index.text import has_cjk, normalise
from index.text import words as split_words
from index.values import Value, ValueKind
from index.values.names import name_key, read_names
from index.values.types import same_name

from .question import Question
from .terms import Term, latin_words, normalise_keep, word_stem

if TYPE_CHECKING:
    from ..answer import ScoredSentence
    from .align import Candidate, Sources

# what joins the names of a list: "唐杰和刘德兵", "Smith and Jones", "A、B"
_JOINED = re.compile(r"\s*(?:和|与|與|及|以及|、|,|，|&|and|or|或)\s*", re.I)


def asked_names(question: Question) -> tuple[tuple[Value, ...], tuple[str, ...]]:
    """The names a question holds, and the keys that make a sentence's name one of them: each
    name's and each of its words' ("Port Edrin", "Edrin")."""
    return _asked_names(question.text)


@functools.lru_cache(maxsize=256)
def _asked_names(text: str) -> tuple[tuple[Value, ...], tuple[str, ...]]:
    named = tuple(read_names(text))
    return named, tuple(name_key(w) for v in named for w in [v.text, *v.text.split()] if len(w) >= 2)


def with_names(question: Question, sources: "Sources") -> Callable[["ScoredSentence"], list[Claim]]:
    """``claims_of`` for a who/where question: a sentence's claims and its names, but those the
    question holds itself (who was the runner-up in *Port Edrin*)."""
    _, keys = asked_names(question)
    whole = name_key(question.text)

    def claims_of(sentence: "ScoredSentence") -> list[Claim]:
        names = [c for c in sources.names_of(sentence)
                 if c.value.label not in whole and not any(same_name(c.value.label, k) for k in keys)]
        return sources.claims_of(sentence) + names if names else sources.claims_of(sentence)

    return claims_of


def named_for_role(question: Question, candidates: list["Candidate"], share: float) -> list["Candidate"]:
    """The candidates without the names whose sentence does not give them the role asked."""
    names = [c for c in candidates if c.value.kind is ValueKind.NAME]
    if not names:
        return candidates
    others = [c for c in candidates if c.value.kind is not ValueKind.NAME]
    named, _ = asked_names(question)
    labels = [v.label for v in named]
    role = [t for t in question.terms.terms if not any(name_key(t.word) in a for a in labels)] \
        or list(question.terms.terms)
    head = _head(question)
    if head:
        # "在岚溪县指挥抗洪的县长是谁": the role is the noun asked about (县长); what comes before
        # 的 only says which one
        role = [t for t in role if any(f in head for f in (t.word, *t.chinese))] or role
    if _unheard_inside(question, role):
        return others  # "chief *financial* officer", a role no article words: none says who holds it
    # the words right after a name the question holds say what of it is asked ("Port Edrin mayoral
    # election", "Port Edrin市长选举"): a name a sentence puts before them is another subject
    # ("海岑市长选举"); in English they are the subject's, not the role's
    asked_text = normalise_keep(question.text)
    after = [t for t in role if any(_follows(asked_text, v.end, t) for v in named)]
    if not has_cjk(question.text):
        role = [t for t in role if t not in after] or role
    total = sum(t.weight for t in role)
    if not total:
        return others
    by_sentence: dict[int, list[Candidate]] = {}
    for c in names:
        by_sentence.setdefault(c.claim.sentence_id, []).append(c)
    kept: list[Candidate] = []
    for group in by_sentence.values():
        offset = group[0].claim.sentence[0]
        folded = normalise_keep(group[0].sentence.text)
        weight = _role_weights(group, folded, offset, role)
        kept += [c for c, w in zip(group, weight) if w >= share * total
                 and not any(_follows(folded, c.value.end - offset, t) for t in after)]
    return [c for c in candidates if c.value.kind is not ValueKind.NAME or c in kept]


# the noun a Chinese who question asks about: after the last 的, before 是谁 ("…的县长是谁")
_ZH_HEAD = re.compile(r"([^的，,、\s]+?)\s*(?:是|为|為)?\s*(?:谁|誰|哪位)")


def _head(question: Question) -> str:
    """The noun a Chinese who question asks about, folded ("县长" of "在岚溪县指挥抗洪的县长是谁？"),
    or "" when it is not written so."""
    if not has_cjk(question.text):
        return ""
    m = _ZH_HEAD.search(normalise(question.text))
    return m.group(1) if m else ""


def _role_weights(group: list["Candidate"], folded: str, offset: int, role: list[Term]) -> list[float]:
    """For each name of one sentence, the weight of the role's words that stand nearer to it than
    to any other of its names."""
    positions = _stem_positions(folded)
    weight = [0.0] * len(group)
    for term in role:
        hits, credit = term.places(folded, positions)
        nearest: dict[int, float] = {}
        for a, b in hits:
            i = min(range(len(group)), key=lambda i: max(0, a - (group[i].value.end - offset),
                                                         (group[i].value.start - offset) - b))
            nearest[i] = term.weight * credit
        for i, w in nearest.items():
            weight[i] += w
    return weight


def _unheard_inside(question: Question, role: list[Term]) -> bool:
    """Whether a question word no article uses stands between two words of the role ("chief
    financial officer"), naming which role it is. A verb beside them ("who *won* the award") says
    what was done, which another source may say otherwise ("went to")."""
    unheard = set(question.terms.unheard)
    if not unheard:
        return False
    tokens = [t for t in split_words(normalise(question.text)) if any(ch.isalnum() for ch in t)]
    known = {t.word for t in role} | {f for t in role for f in (*t.chinese, *t.stems)}

    def in_role(token: str) -> bool:
        return token in known or word_stem(token) in known

    return any(tokens[i] in unheard and in_role(tokens[i - 1]) and in_role(tokens[i + 1])
               for i in range(1, len(tokens) - 1))


def in_list(candidate: "Candidate", claims: list[Claim]) -> bool:
    """Whether a name is one of several joined in a list ("两位创始人唐杰和刘德兵"): the role its
    sentence gives is then said of each, and which one the question asks cannot be told."""
    text, offset = candidate.sentence.text, candidate.claim.sentence[0]
    v = candidate.value
    for other in claims:
        o = other.value
        if o.kind is not ValueKind.NAME or o is v:
            continue
        between = text[o.end - offset:v.start - offset] if o.end <= v.start else text[v.end - offset:o.start - offset]
        if _JOINED.fullmatch(between):
            return True
    return False


def _follows(folded: str, end: int, term: Term, gap: int = 3) -> bool:
    """Whether ``term`` stands right after position ``end`` of ``folded`` (up to ``gap``
    characters between: "'s", a space)."""
    longest = max((len(f) for f in term.chinese + term.phrases), default=len(term.word))
    window = folded[end:end + gap + longest + 2]
    hits, _ = term.places(window, _stem_positions(window))
    return any(a <= gap for a, _ in hits)


def _stem_positions(folded: str) -> dict[str, list[int]]:
    """Where each English word's stem stands in ``folded`` (for :meth:`Term.places`)."""
    positions: dict[str, list[int]] = {}
    for at, word in latin_words(folded):
        positions.setdefault(word_stem(word), []).append(at)
    return positions
