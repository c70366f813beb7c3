"""A question's content words, weighted, and how much of them a piece of a sentence contains.

Chinese words are matched by containment in the folded text, with part credit for a word whose
character pairs appear (净亏损 in "亏损就高达"): jieba may cut the question and the article
differently. English words are matched by their stems (PyStemmer's Snowball English). A word of
a ``[synonyms]`` group of the lexicon is also found by the group's other words, in either
language ("罹难" for 死亡, "deaths" for 死亡).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Sequence

from index.text import content_tokens, fold, has_cjk, normalise, tokenize

from ..bridge import bridge_for, holds
from .kin import KIN_CREDIT

# what makes a phrase of [question_kinds] a question word rather than a topic word
_ASKING = ("多少", "几", "哪", "何", "什么", "谁", "多久", "多长", "多高", "多远", "多大", "多深", "多重", "多宽", "多快",
           "how", "what", "when", "which", "who", "where", "why")
_LATIN_WORD = re.compile(r"[a-z][a-z0-9'&.-]*[a-z0-9]|[a-z]")
_ASKED = re.compile(r"(?:多少|几)(?=.)")
# function words jieba keeps that say nothing about what a figure is
_STOP = frozenset("的 了 是 在 和 与 及 或 等 也 都 就 还 又 再 所 将 于 为 其 之 这 那 该 被 把 对 从 向 到 给 由 以 而 "
                  "a an the of in on at to for from by with and or is are was were be been it its this that".split())


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def word_stem(word: str) -> str:
    return _stemmer().stemWord(word)


@lru_cache(maxsize=64)
def english_stems(text: str) -> frozenset[str]:
    """Stems of the Latin words of a lower-cased text (a retrieved document's are asked for by
    several rules of one alignment: kept for the last few texts)."""
    return frozenset(word_stem(w) for _, w in latin_words(text))


def stem_positions(folded: str) -> dict[str, list[int]]:
    """Where each English word's stem stands in ``folded`` (for :meth:`Term.places`)."""
    positions: dict[str, list[int]] = {}
    for at, word in latin_words(folded):
        positions.setdefault(word_stem(word), []).append(at)
    return positions


def latin_words(text: str) -> list[tuple[int, str]]:
    """The Latin words of a lower-cased text with their offsets; a hyphenated word also gives its
    parts ("t-shirt": t-shirt, t, shirt), as the tokenizer cuts the question's."""
    out = []
    for m in _LATIN_WORD.finditer(text):
        word = m.group(0)
        out.append((m.start(), word))
        if "-" in word:
            at = m.start()
            for part in word.split("-"):
                if part:
                    out.append((at, part))
                at += len(part) + 1
    return out


#: an English stem this long or longer also finds its agent and patient nouns, which Snowball stems
#: apart ("employ": employees, employers; "invest": investors), and is found in them
MIN_SHARED_STEM = 6
_AGENT_ENDINGS = ("e", "er", "or", "ee")


def _stems_meet(a: str, b: str) -> bool:
    """Two different stems of one English word family ("employ", "employe"), not two words that
    only begin alike ("secret", "secretari")."""
    if a == b:
        return False
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= MIN_SHARED_STEM and long_.startswith(short) and long_[len(short):] in _AGENT_ENDINGS


@dataclass(frozen=True)
class Term:
    """One content word of a question: how much it weighs and how it may be found."""

    word: str
    weight: float
    stem: str = ""  # an English word's stem ("" for a Chinese word)
    chinese: tuple[str, ...] = ()  # Chinese forms that count as finding it (itself, its synonyms)
    stems: tuple[str, ...] = ()  # English stems that count
    phrases: tuple[str, ...] = ()  # English phrases of several words that count
    name: bool = False  # written with a capital inside the question: a name ("Orland", "Keeper")
    kin: tuple[str, ...] = ()  # Chinese words of nearly its meaning (see :mod:`.kin`): part credit

    def found_in(self, text: str, stems: frozenset[str]) -> float:
        """1 when ``text`` (folded, lower-cased) holds the word or a synonym, part credit for part of
        a long Chinese word, else 0."""
        if any(s in stems for s in self.stems) or any(c in text for c in self.chinese) \
                or any(p in text for p in self.phrases) or any(_stems_meet(s, t) for s in self.stems for t in stems):
            return 1.0
        word = self.word
        share = 0.0
        if not self.stem and len(word) > 2:
            pairs = [word[i:i + 2] for i in range(len(word) - 1)]
            share = sum(p in text for p in pairs) / len(pairs)
            share = share if share >= 0.5 else 0.0
        if share < KIN_CREDIT and any(k in text for k in self.kin):
            return KIN_CREDIT
        return share

    def places(self, folded: str, positions: dict[str, list[int]]) -> tuple[list[tuple[int, int]], float]:
        """Where in ``folded`` the word (or a synonym) stands, and the credit it gets there."""
        hits = [(p, p + 1) for s in self.stems for stem, at in positions.items() if stem == s or _stems_meet(s, stem)
                for p in at]
        for form in self.chinese + self.phrases:
            hits += [(m.start(), m.end()) for m in re.finditer(re.escape(form), folded)]
        if hits:
            return hits, 1.0
        word = self.word
        share = 0.0
        if not self.stem and len(word) > 2:
            pairs = [word[i:i + 2] for i in range(len(word) - 1)]
            share = sum(p in folded for p in pairs) / len(pairs)
            hits = [(m.start(), m.end()) for p in pairs for m in re.finditer(re.escape(p), folded)]
            share = share if share >= 0.5 else 0.0
        kin = [(m.start(), m.end()) for k in self.kin for m in re.finditer(re.escape(k), folded)]
        if kin and KIN_CREDIT > share:
            return kin, KIN_CREDIT
        return (hits, share) if share else ([], 0.0)


@dataclass(frozen=True)
class Terms:
    """Weighted content words of a question."""

    terms: tuple[Term, ...] = ()
    known: bool = False  # some of the words are in the corpus vocabulary
    english: bool = field(default=False)  # some forms are English stems
    idf: dict[str, float] = field(default_factory=dict, repr=False, compare=False)  # the corpus' word weights
    unheard: tuple[str, ...] = ()  # the question's words no article uses in any form (left out of ``terms``)

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(t.word for t in self.terms)

    @property
    def weights(self) -> tuple[float, ...]:
        return tuple(t.weight for t in self.terms)

    @classmethod
    def of_question(cls, text: str, lex, idf: dict[str, float], skip: Sequence[tuple[int, int]] = (),  # type: ignore[no-untyped-def]
                    kin: Callable[[Sequence[str]], dict[str, tuple[str, ...]]] | None = None) -> "Terms":
        """The question's words that name its topic: not its question words, figures or dates.
        ``kin`` gives a Chinese word's near-synonyms in the corpus (:class:`.kin.WordKin`)."""
        chars = list(text)
        for start, end in skip:
            chars[start:end] = [" "] * (end - start)
        kept = _drop_asked_units(normalise("".join(chars)), lex)
        kind_pattern = lex.question_kinds.pattern
        if kind_pattern is not None:
            # "哪一年", "how many": phrases that ask; "身高", "面积", "price" name the topic and stay
            kept = kind_pattern.sub(lambda m: " " if any(w in m.group(0) for w in _ASKING) else m.group(0), kept)
        groups = _synonyms(lex)
        words: list[str] = []
        for token in _joined(content_tokens(tokenize(kept)), groups):
            if token in lex.question_words or token in words or _is_hedge(token, lex):
                continue
            words.append(token)
        words += [w for w in _implied(normalise(text), lex) if w not in words and w in idf]
        default = max(idf.values(), default=1.0)
        weights = [idf.get(w, default) for w in words]
        names = _capitalised(text)
        # A single Chinese character is weak evidence however rare it is ("净" of 净亏损 when jieba
        # cuts 净/亏损): it weighs at most half of the question's longer words.
        longer = [wt for w, wt in zip(words, weights) if len(w) > 1 or not has_cjk(w)]
        cap = 0.5 * sum(longer) / len(longer) if longer else 1.0
        terms = []
        unheard: list[str] = []
        bridged = _bridged(words, idf, groups)
        kin_of = kin([w for w in words if has_cjk(w)]) if kin is not None else {}
        for word, weight in zip(words, weights):
            chinese = has_cjk(word)
            stem = "" if chinese else word_stem(word)
            group = groups.get(word) or (groups.get(stem) if stem else None) or ()
            forms = (word, *group)
            if word in bridged:
                # an English word the Chinese articles write in Chinese ("valuation": 估值)
                phrase, found = bridged[word]
                if not found:
                    continue  # the second word of a bridged phrase ("computing power")
                terms.append(Term(phrase, max(idf.get(f, cap) for f in found), word_stem(word), chinese=found,
                                  stems=(word_stem(word),) if " " not in phrase else (),
                                  phrases=(phrase,) if " " in phrase else ()))
                continue
            if idf and not any(f in idf for f in forms) and not (chinese and len(word) > 2):
                if chinese and len(word) == 2 and word[1] in lex.complements:
                    # "赔掉": no article says it, but its verb stands in theirs (赔偿)
                    terms.append(Term(word, cap, chinese=(word[0],)))
                else:
                    unheard.append(word)
                continue  # a word no article uses, in no form: it tells no sentence from another
            found_as = tuple(f for f in forms if has_cjk(f))
            near = tuple(k for k in kin_of.get(word, ()) if not any(k in f or f in k for f in found_as))
            terms.append(Term(word, min(weight, cap) if chinese and len(word) == 1 else weight, stem,
                              chinese=found_as,
                              stems=tuple(dict.fromkeys(word_stem(f) for f in forms if not has_cjk(f) and " " not in f)),
                              phrases=tuple(f for f in forms if " " in f), name=word in names, kin=near))
        return cls(tuple(terms), bool(terms) and bool(idf), any(t.stems for t in terms), idf, tuple(unheard))

    def __bool__(self) -> bool:
        return bool(self.terms)

    def coverage(self, text: str, stems: frozenset[str] | None = None, before: str = "",
                 before_credit: float = 0.6) -> float:
        """IDF-weighted share of the words found in ``text`` (normalised), 0..1. Words found only in
        ``before`` (the sentence before, which may name the subject: "这条线路…设车站26座") count
        ``before_credit``."""
        total = sum(t.weight for t in self.terms)
        if not total:
            return 0.0
        if stems is None:
            stems = english_stems(text) if self.english else frozenset()
        found = 0.0
        before_stems = english_stems(before) if before and self.english else frozenset()
        for t in self.terms:
            here = t.found_in(text, stems)
            if here < 1.0 and before:
                here = max(here, before_credit * t.found_in(before, before_stems))
            found += t.weight * here
        return found / total

    def near(self, folded: str, start: int, end: int, reach: float,
             weights: Sequence[float] | None = None) -> float:
        """Share of the words found in ``folded`` (a sentence, folded and lower-cased: same offsets
        as the original), each counted by how close it stands to ``[start, end)``: fully when
        touching it, half at ``reach`` characters. What tells apart two values of one sentence.
        ``weights`` replace the words' own weights."""
        weights = weights if weights is not None else [t.weight for t in self.terms]
        total = sum(weights)
        if not total:
            return 0.0
        positions = stem_positions(folded) if self.english else {}
        found = 0.0
        for term, weight in zip(self.terms, weights):
            hits, credit = term.places(folded, positions)
            if hits:
                gap = min(max(0, a - end, start - b) for a, b in hits)
                found += weight * credit * reach / (reach + gap)
        return found / total

    def focus(self, shares: Sequence[float] | None) -> list[float]:
        """Weights that favour the words few of the retrieved documents contain (``shares``, from
        :meth:`shares`; None: no documents): the words that tell the asked fact from other facts
        about the same subject ("当选" more than "罗斯福" when every retrieved article is about
        Roosevelt)."""
        if shares is None:
            return [t.weight for t in self.terms]
        return [term.weight * (1.2 - share) for term, share in zip(self.terms, shares)]

    def shares(self, documents: Sequence[str]) -> list[float]:
        """Per word, the share of ``documents`` (normalised) that hold it."""
        stems = [english_stems(d) for d in documents] if self.english else [frozenset()] * len(documents)
        return [sum(term.found_in(d, st if term.stems else frozenset()) >= 1.0 for d, st in zip(documents, stems))
                / len(documents) if documents else 0.0 for term in self.terms]

    def names_in(self, text: str) -> frozenset[str]:
        """The question's names (see :attr:`Term.name`) found in ``text`` (normalised)."""
        names = [t for t in self.terms if t.name]
        if not names:
            return frozenset()
        stems = english_stems(text)
        return frozenset(t.word for t in names if t.found_in(text, stems) >= 1.0)

    def found(self, text: str) -> tuple[str, ...]:
        """The words found in ``text`` (normalised), for showing why a value was chosen."""
        stems = english_stems(text) if self.english else frozenset()
        return tuple(t.word for t in self.terms if t.found_in(text, stems) >= 1.0)


@lru_cache(maxsize=4)
def _synonym_index(groups: tuple[tuple[str, ...], ...]) -> dict[str, tuple[str, ...]]:
    index: dict[str, tuple[str, ...]] = {}
    for group in groups:
        for word in group:
            index.setdefault(word, group)
            if not has_cjk(word) and " " not in word:
                index.setdefault(word_stem(word), group)
    return index


def _synonyms(lex) -> dict[str, tuple[str, ...]]:  # type: ignore[no-untyped-def]
    return _synonym_index(lex.synonyms)


def _bridged(words: list[str], idf: dict[str, float], groups: dict[str, tuple[str, ...]]
             ) -> dict[str, tuple[str, tuple[str, ...]]]:
    """English words of a question that no article uses, in no form, but whose Chinese translations
    the articles do use: word → (the word or the two-word phrase it opens, its Chinese words). The
    second word of a phrase maps to ``(phrase, ())``. Only for a corpus that holds Chinese."""
    if not idf or not holds(idf, "zh"):
        return {}

    def unknown(word: str) -> bool:
        if has_cjk(word) or word in idf:
            return False
        group = groups.get(word) or groups.get(word_stem(word)) or ()
        return not any(f in idf for f in group)

    if not any(unknown(w) for w in words):
        return {}

    bridge = bridge_for(idf)
    out: dict[str, tuple[str, tuple[str, ...]]] = {}
    i = 0
    while i < len(words):
        word = words[i]
        if not unknown(word):
            i += 1
            continue
        if i + 1 < len(words) and not has_cjk(words[i + 1]):
            phrase = f"{word} {words[i + 1]}"
            found = bridge.chinese_for(phrase)
            if found:
                out[word], out[words[i + 1]] = (phrase, found), (phrase, ())
                i += 2
                continue
        found = bridge.chinese_for(word)
        if found:
            out[word] = (word, found)
        i += 1
    return out


def _joined(tokens: list[str], groups: dict[str, tuple[str, ...]]) -> list[str]:
    """Neighbouring Chinese tokens that form a word of a synonym group, as one token: jieba's small
    dictionary cuts 营业收入 into 营业/收入, and only the whole word finds 营收."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if i + 1 < len(tokens) and has_cjk(tokens[i]) and (tokens[i] + tokens[i + 1]) in groups:
            out.append(tokens[i] + tokens[i + 1])
            i += 2
            continue
        out.append(tokens[i])
        i += 1
    return out


def _implied(text: str, lex) -> list[str]:  # type: ignore[no-untyped-def]
    """The words the question's asking phrases imply ("how deep": depth; "多高": 高度), which the
    answer's sentence is likely to use though the question does not."""
    table = lex.asked_words
    if table.pattern is None:
        return []
    return [w for m in table.pattern.finditer(text) for w in table.get(table.canonical(m.group(0)))]


def _drop_asked_units(text: str, lex) -> str:  # type: ignore[no-untyped-def]
    """"几个人", "多少米": the word for what is asked goes with the asking word, not the topic."""
    out, pos = [], 0
    for m in _ASKED.finditer(text):
        if m.start() < pos:
            continue
        end = m.end()
        for table in (lex.units, lex.durations, lex.currency_suffix, lex.percent_suffix, lex.multiplier, lex.counters):
            found = table.match(text, end)
            if found:
                end = found[1]
                break
        out.append(text[pos:m.start()] + " ")
        pos = end
    out.append(text[pos:])
    return "".join(out)


# a capitalised word of Latin letters (accented too); written against Chinese it stops there
_LATIN_LETTER = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_CAPITALISED = re.compile(rf"(?<![{_LATIN_LETTER}0-9'’])[A-Z\u00c0-\u00d6\u00d8-\u00de][{_LATIN_LETTER}0-9'’&.-]*")


def _capitalised(question: str) -> frozenset[str]:
    """The words of a question written with a capital, but for its first (lower-cased, folded)."""
    words = [m for m in _CAPITALISED.finditer(question)]
    first = re.search(r"\w", question)
    return frozenset(w for m in words if first is None or m.start() != first.start()
                     for w in tokenize(normalise(m.group(0))))


def _is_hedge(token: str, lex) -> bool:  # type: ignore[no-untyped-def]
    return token in lex.hedge_before or token in lex.hedge_after_number or token in lex.hedge_after_unit


def _key(token: str, groups: dict[str, tuple[str, ...]]) -> str:
    key = token if has_cjk(token) else word_stem(token)
    group = groups.get(token) or groups.get(key)
    return "=" + group[0] if group else key


def word_key(token: str, lex) -> str:  # type: ignore[no-untyped-def]
    """The key a word has among :func:`context_words`' keys (its synonym group's, its stem)."""
    return _key(token, _synonyms(lex))


def context_words(text: str, start: int, end: int, lex, idf: dict[str, float], reach: float,  # type: ignore[no-untyped-def]
                  default: float | None = None) -> dict[str, float]:
    """The content words around the value at ``[start, end)`` of ``text``, each as a key that
    synonyms and English word forms share ("罹难" and "死亡" give one key; "deaths" and "died" too),
    weighted by IDF and by closeness to the value (half at ``reach`` characters). ``default`` is
    the weight of a word ``idf`` lacks (the largest IDF when not given: pass it when calling often)."""
    groups = _synonyms(lex)
    if default is None:
        default = max(idf.values(), default=3.0) if idf else 3.0
    out: dict[str, float] = {}
    for piece, offset, before in ((text[:start], 0, True), (text[end:], end, False)):
        folded = normalise_keep(piece)
        pos = 0
        for token in tokenize_keep(folded):
            at = folded.find(token, pos)
            if at < 0:
                continue
            pos = at + len(token)
            if (token not in content_tokens([token]) or token in lex.question_words or token in _STOP
                    or not any(ch.isalnum() for ch in token)):
                continue
            gap = (len(folded) - pos) if before else at
            if gap > 4 * reach:
                continue
            key = _key(token, groups)
            weight = idf.get(token, default) * reach / (reach + gap)
            out[key] = max(out.get(key, 0.0), weight)
    return out


def has_content(text: str) -> bool:
    """Whether ``text`` holds a word that can say what a figure is (not a function word, not a
    number): "In 1754" has none, "港股募资" has."""
    return any(token not in _STOP and any(ch.isalpha() for ch in token)
               for token in content_tokens(tokenize_keep(normalise_keep(text))))


def normalise_keep(text: str) -> str:
    """Folded and lower-cased, same length (so distances in it are distances in the text)."""
    return fold(text).lower()


def tokenize_keep(text: str) -> list[str]:
    """jieba's words of ``text`` in order, without dropping any (the caller filters)."""
    from index.text import words

    return words(text)


def weighted_overlap(a: dict[str, float], b: dict[str, float]) -> float:
    """Weighted Jaccard of two bags of context words: 1 for the same words, 0 for none shared. A
    Chinese word inside another ("设" in "共设") counts at 0.7."""
    union = sum(max(a.get(k, 0.0), b.get(k, 0.0)) for k in a.keys() | b.keys())
    if not union:
        return 0.0
    shared = 0.0
    for k, v in a.items():
        if k in b:
            shared += min(v, b[k])
        elif has_cjk(k):
            part = max((min(v, w) for j, w in b.items() if has_cjk(j) and (k in j or j in k)), default=0.0)
            shared += 0.7 * part
    return shared / union
