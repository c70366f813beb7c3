"""Who and where questions: which name a sentence gives the role the question asks about.

Names (:mod:`index.values.names`) are candidates like values, scored by :mod:`.align`. A
sentence usually names several people, places and organisations, so a name answers only when:

- it is of the kind asked: a person for *who*, a place for *where*. An English name is taken for a
  person when it has two words or more and its last is no common English word (the dictionary's
  glosses write "park", "cup", "alliance" in lower case; a surname rarely is one), for a place after "at"/"in" or by
  its last word (``[name_words]``); a Chinese *where* question that names the kind of place
  (哪个镇) is answered by a name ending in it;
- the question's *role* — its words outside the names it holds itself ("who is the *chief
  scientist* of Orvel Labs"; in Chinese the noun before 是谁, "…的*县长*是谁") — stands nearer to it
  than to any other name of its sentence, makes up ``share`` of the role and holds every word of
  the role that the question writes next to another ("best *director*"): a sentence that gives
  another role ("chief technology officer", "best actor" for best director) does not say who
  holds the one asked, nor one that says the role was not held ("did not score", 未入选);
- it does not stand in the place of the question's own name ("青川市长选举" for "Norbury市长选举":
  another subject), nor in a list ("甲和乙", "A and B", "甲等": which one is asked cannot be told).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import TYPE_CHECKING, Callable

from index.claims import Claim
from index.text import has_cjk, normalise
from index.text import words as split_words
from index.values import Value, ValueKind, language_of, lexicon
from index.values.names import ANY_NAME, name_key, read_names
from index.values.types import same_name

from ..bridge import gloss_words
from .question import Question
from .terms import Term, normalise_keep, stem_positions, word_stem

if TYPE_CHECKING:
    from ..answer import ScoredSentence
    from .align import Candidate, Sources

# what joins the names of a list ("甲和乙", "Smith and Jones", "A、B"), and what ends one ("甲等")
_JOINED = re.compile(r"\s*(?:和|与|與|及|以及|、|,|，|&|and|or|或)\s*", re.I)
_LIST_END = re.compile(r"\s*(?:等|等人|and others|among others)", re.I)
# the kind of place a Chinese where question names: "在哪个镇", "哪座城市"
_PLACE_KIND = re.compile(r"哪(?:一)?(?:个|座|所)?(?:城)?([镇县省市村乡区州岛])")
# the noun a Chinese who question asks about: after the last 的, before 是谁 ("…的县长是谁")
_ZH_HEAD = re.compile(r"([^的，,、\s]+?)\s*(?:是|为|為)?\s*(?:谁|誰|哪位)")


def asked_names(question: Question) -> tuple[tuple[Value, ...], tuple[str, ...]]:
    """The names a question holds, and the keys that make a sentence's name one of them: each
    name's and each of its words' ("Norbury Hall", "Norbury")."""
    return _asked_names(question.text, id(lexicon("en")), id(lexicon("zh")))


@functools.lru_cache(maxsize=256)
def _asked_names(text: str, *lexicons: int) -> tuple[tuple[Value, ...], tuple[str, ...]]:
    """:func:`asked_names` of a question's text, remembered per vocabulary (``lexicons``: the
    loaded lexicons' identities, which a user's extension replaces)."""
    named = tuple(read_names(text))
    return named, tuple(name_key(w) for v in named for w in [v.text, *v.text.split()] if len(w) >= 2)


def with_names(question: Question, sources: "Sources") -> Callable[["ScoredSentence"], list[Claim]]:
    """``claims_of`` for a who/where question: a sentence's claims and its names (an English one
    read as a person where it looks like one), but those the question holds itself (who was the
    runner-up in *Norbury*)."""
    _, keys = asked_names(question)
    whole = name_key(question.text)

    def claims_of(sentence: "ScoredSentence") -> list[Claim]:
        names = [_as_person(c) for c in sources.names_of(sentence)
                 if c.value.label not in whole and not any(same_name(c.value.label, k) for k in keys)]
        return sources.claims_of(sentence) + names if names else sources.claims_of(sentence)

    return claims_of


def _as_person(claim: Claim) -> Claim:
    """An English name of unknown kind as a person's when it has a given name and a surname and the
    last is no common word."""
    value = claim.value
    if value.unit != ANY_NAME or has_cjk(value.text):
        return claim
    words = value.label.split()
    common = gloss_words()
    last = words[-1] if words else ""
    if len(words) < 2 or last in common or (last.endswith("s") and last[:-1] in common):
        return claim  # one word ("Brackley") may be a team or a town as well as a surname
    return dataclasses.replace(claim, value=dataclasses.replace(value, unit="person"))


def named_for_role(question: Question, candidates: list["Candidate"], share: float) -> list["Candidate"]:
    """The candidates without the names whose sentence does not give them the role asked."""
    names = [c for c in candidates if c.value.kind is ValueKind.NAME]
    if not names:
        return candidates
    others = [c for c in candidates if c.value.kind is not ValueKind.NAME]
    kind = _PLACE_KIND.search(normalise(question.text)) if question.unit == "place" else None
    if kind is not None:  # "在哪个镇决口": a town's name
        names = [c for c in names if normalise(c.value.text).endswith(kind.group(1))]
    named, _ = asked_names(question)
    labels = [v.label for v in named]
    role = [t for t in question.terms.terms if not any(name_key(t.word) in a for a in labels)] \
        or list(question.terms.terms)
    head = _head(question)
    if head:
        if any(w in head for w in question.terms.unheard):
            return others  # the noun asked about is one no article uses
        role = [t for t in role if any(f in head for f in (t.word, *t.chinese))] or role
    if _unheard_inside(question, role):
        return others  # "chief *financial* officer", a role no article words: none says who holds it
    # the words right after a name the question holds say what of it is asked ("Norbury mayoral
    # election", "Norbury市长选举"): a name a sentence puts before them is another subject; in
    # English they are the subject's, not the role's
    asked_text = normalise_keep(question.text)
    after = [t for t in role if any(_follows(asked_text, v.end, t) for v in named)]
    if not has_cjk(question.text):
        role = [t for t in role if t not in after] or role
    total = sum(t.weight for t in role)
    if not total:
        return others
    required = _role_phrases(question, role)
    by_sentence: dict[int, list[Candidate]] = {}
    for c in names:
        by_sentence.setdefault(c.claim.sentence_id, []).append(c)
    kept: list[Candidate] = []
    for group in by_sentence.values():
        offset = group[0].claim.sentence[0]
        folded = normalise_keep(group[0].sentence.text)
        negations = lexicon(language_of(group[0].sentence.text)).negations  # the sentence's language
        tied = _tied_roles(group, folded, offset, role, negations)
        kept += [c for c, terms in zip(group, tied) if all(t in terms for t in required)
                 and sum(t.weight for t in terms) >= share * total
                 and not any(_follows(folded, c.value.end - offset, t) for t in after)]
    return [c for c in candidates if c.value.kind is not ValueKind.NAME or c in kept]


def _head(question: Question) -> str:
    """The noun a Chinese who question asks about, folded ("县长" of "在青川县指挥抗洪的县长是谁？"),
    or "" when it is not written so."""
    if not has_cjk(question.text):
        return ""
    m = _ZH_HEAD.search(normalise(question.text))
    return m.group(1) if m else ""


def _tied_roles(group: list["Candidate"], folded: str, offset: int, role: list[Term],
                negations: frozenset[str]) -> list[list[Term]]:
    """For each name of one sentence, the role's words that stand nearer to it than to any other of
    its names, with no negation between ("did not score", "未入选"). Words written together
    ("首席科学家", "chief executive") go to one name as one phrase."""
    positions = stem_positions(folded)
    hits = sorted(((a, b, term) for term in role for a, b in term.places(folded, positions)[0]),
                  key=lambda h: (h[0], h[1]))
    phrases: list[tuple[int, int, list[Term]]] = []
    for a, b, term in hits:
        if phrases and a - phrases[-1][1] <= _PHRASE_GAP:
            start, end, terms = phrases[-1]
            phrases[-1] = (start, max(end, b), terms + [term])
        else:
            phrases.append((a, b, [term]))
    tied: list[list[Term]] = [[] for _ in group]
    for a, b, terms in phrases:
        i = min(range(len(group)), key=lambda i: max(0, a - (group[i].value.end - offset),
                                                     (group[i].value.start - offset) - b))
        v0, v1 = group[i].value.start - offset, group[i].value.end - offset
        between = folded[v1:a] if a >= v1 else folded[b:v0]
        if not _negated(between, negations):
            tied[i] += [t for t in terms if t not in tied[i]]
    return tied


_CLAUSE = re.compile(r"[,，;；:：。!?！？]|\bbut\b|但")
#: role words this close are written together, as one phrase ("chief executive", "首席科学家")
_PHRASE_GAP = 2


def _role_phrases(question: Question, role: list[Term]) -> list[Term]:
    """The role's words that stand in the question next to another of its words ("best
    *director*", "chief *financial* officer"): together they name which role it is, so a name
    must have them all ("best actor" is another prize). A word alone ("who *won*") may be said
    otherwise by a source ("went to")."""
    marks = [term for _, term in _role_marks(question, role)]
    required: list[Term] = []
    for i, term in enumerate(marks):
        near = (i > 0 and marks[i - 1] not in (None, term)) or (i + 1 < len(marks) and marks[i + 1] not in (None, term))
        if term is not None and near and term not in required:
            required.append(term)
    return required


def _negated(text: str, negations: frozenset[str]) -> bool:
    """Whether ``text`` (folded, between a name and its role) holds a negation in the clause nearest
    the role: a word of ``negations`` in English, the characters in Chinese ("did not score at the
    park, but was named man of the match" negates the scoring only)."""
    text = _CLAUSE.split(text)[-1]
    words = set(text.replace("n't", " not").split())
    return any((n in text) if has_cjk(n) else (n in words) for n in negations)


def _unheard_inside(question: Question, role: list[Term]) -> bool:
    """Whether a question word no article uses stands between two words of the role ("chief
    financial officer"), naming which role it is. A verb beside them ("who *won* the award") says
    what was done, which another source may say otherwise ("went to")."""
    unheard = set(question.terms.unheard)
    if not unheard:
        return False
    marks = _role_marks(question, role)
    return any(marks[i][0] in unheard and marks[i - 1][1] is not None and marks[i + 1][1] is not None
               for i in range(1, len(marks) - 1))


def _role_marks(question: Question, role: list[Term]) -> list[tuple[str, Term | None]]:
    """The question's words in order, each with the word of the role it is (None for another)."""
    tokens = [t for t in split_words(normalise(question.text)) if any(ch.isalnum() for ch in t)]

    def term_of(token: str) -> Term | None:
        stem = word_stem(token)
        return next((t for t in role if token == t.word or token in t.chinese or stem in t.stems), None)

    return [(t, term_of(t)) for t in tokens]


def in_list(candidate: "Candidate", claims: list[Claim]) -> bool:
    """Whether a name is one of several in a list ("两位创始人甲和乙", "甲等"): the role its sentence
    gives is then said of each, and which one the question asks cannot be told."""
    text, offset = candidate.sentence.text, candidate.claim.sentence[0]
    v = candidate.value
    if _LIST_END.match(text, v.end - offset):
        return True
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
    hits, _ = term.places(window, stem_positions(window))
    return any(a <= gap for a, _ in hits)
