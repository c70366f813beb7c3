"""Extractive, cited answers: sentences quoted verbatim from the retrieved passages.

Each quoted sentence carries a citation ``[n]`` naming its passage and its exact character span
in the source document. A checked answer lists each value the sources state with the sources
behind it; other answers quote the best sentences and say that nothing was compared. When no
sentence supports the question well enough, the verdict is ``not_found`` and nothing is cited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from index.text import content_tokens, detect_script, display_script, has_cjk, normalise, one_line
from index.values import Value, ValueKind, language_of, lexicon

from .search import Passage, Query

from .check import AlignPolicy, Apart, Comparison, Question, Verdict

if TYPE_CHECKING:
    from index.store import Index

#: the heading of the values shown beside the comparison but not in it
NOT_COMPARED = "Not compared (another period or measure, one of a series, or worded too differently)"
NOT_FOUND_TEXT = "The sources do not answer this question."


@dataclass
class Citation:
    """Where a quoted sentence comes from: passage, document and exact span."""

    n: int
    doc_id: str
    chunk_id: int
    passage_rank: int
    sentence_id: int
    start: int
    end: int
    quote: str
    score: float
    source: dict[str, Any] = field(default_factory=dict)
    value: str = ""
    value_start: int = -1
    value_end: int = -1

    def to_dict(self) -> dict[str, Any]:
        data = {
            "n": self.n,
            "doc_id": self.doc_id,
            "chunk_id": self.chunk_id,
            "passage_rank": self.passage_rank,
            "sentence_id": self.sentence_id,
            "span": [self.start, self.end],
            "quote": self.quote,
            "score": round(self.score, 4),
            "source": self.source,
        }
        if self.value:
            data["value"] = self.value
            data["value_span"] = [self.value_start, self.value_end]
        return data


@dataclass
class Answer:
    """A question, its answer text with markers ``[n]``, citations and the passages behind them.

    ``verdict`` says what was checked: ``conflict`` / ``consistent`` (values of two or more
    sources compared), ``single_source`` (one source states a value), ``quoted`` (sentences
    quoted, no values compared) or ``not_found``. ``check`` is the comparison behind a checked
    answer (values, their sources and citations), ``question_read`` how the question was read.
    """

    question: str
    text: str
    verdict: Verdict
    citations: list[Citation]
    passages: list[Passage]
    notes: list[str] = field(default_factory=list)
    check: "CheckReport | None" = None
    question_read: Question | None = None
    headline: str = ""

    def __post_init__(self) -> None:
        if not self.headline:
            self.headline = make_headline(self)

    @property
    def details(self) -> str:
        """The answer text after its first line (which :attr:`headline` says in the asker's words)."""
        return self.text.partition("\n")[2]

    def to_markdown(self) -> str:
        """The answer as Markdown: headline, values and who states them, sources, quotes, dates."""
        return answer_markdown(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form of the answer."""
        data: dict[str, Any] = {
            "question": self.question,
            "verdict": self.verdict.value,
            "verdict_title": self.verdict.title,
            "headline": self.headline,
            "answer": self.text,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [p.to_dict() for p in self.passages],
            "notes": list(self.notes),
        }
        if self.question_read is not None:
            data["question_read"] = self.question_read.to_dict()
        if self.check is not None:
            data["check"] = self.check.to_dict()
        return data


@dataclass(frozen=True)
class AnswerPolicy:
    """How sentences are chosen and when the sources are judged not to answer.

    Values are read from the sentences of the ``claim_depth`` best passages that score at least
    the support floor less ``claim_slack``; ``align`` says how each source's value is chosen.

    ``min_support`` is the lowest support score a quoted sentence may have:
    ``min_support_cjk`` for questions with Chinese characters (lexical and
    dense evidence), ``min_support_latin`` for others (dense evidence only,
    which runs lower across languages).
    """

    max_sentences: int = 3
    margin: float = 0.12
    min_support_cjk: float = 0.42
    min_support_latin: float = 0.22
    min_chars: int = 6
    min_passage_similarity: float = 0.18
    min_topic_similarity: float = 0.10
    claim_depth: int = 20
    claim_slack: float = 0.15
    align: AlignPolicy = field(default_factory=AlignPolicy)


def _lexical_support(index: "Index", query_words: list[str], sentence: str) -> float:
    """IDF-weighted share of the question's content words that the sentence contains."""
    if not query_words:
        return 0.0
    # Containment in the normalised sentence, not a second jieba pass: the same words count,
    # and at 100k chunks re-tokenizing candidate sentences was half of an answer's time.
    text = normalise(sentence)
    idf = index.lexical.idf
    total = sum(idf.get(w, 1.0) for w in query_words)
    found = sum(idf.get(w, 1.0) for w in query_words if w in text)
    return found / total if total else 0.0


@dataclass
class ScoredSentence:
    score: float
    sentence_id: int
    passage: Passage
    start: int
    end: int
    text: str


def score_sentences(index: "Index", query: Query, passages: list[Passage], min_chars: int = 6) -> list[ScoredSentence]:
    """Every sentence of ``passages`` scored for how well it supports ``query``, best first.

    The score is the sentence's cosine with the question plus a bonus for the
    IDF-weighted share of the question's words it contains (scaled by how many
    of them the corpus knows, so English questions rely on the vectors).
    """
    candidates: dict[int, tuple[Passage, int, int]] = {}
    for passage in passages:
        for sid, start, end in passage.sentences:
            if sid not in candidates and end - start >= min_chars:
                candidates[sid] = (passage, start, end)
    if not candidates:
        return []
    ids = np.fromiter(candidates, dtype=np.int64)
    dense = index.vectors.sentence_vectors(ids) @ query.vector
    words = sorted(set(content_tokens(query.tokens)))
    bonus = LEXICAL_BONUS * query.coverage
    scored = []
    for sid, d in zip(ids.tolist(), dense.tolist()):
        passage, start, end = candidates[sid]
        text = index.documents.text_of(passage.doc_id)[start:end]
        lexical = _lexical_support(index, words, text) if bonus else 0.0
        scored.append(ScoredSentence(d + bonus * lexical, sid, passage, start, end, text))
    scored.sort(key=lambda s: (-s.score, s.sentence_id))
    return scored


LEXICAL_BONUS = 0.35


def support_floor(query: Query, policy: AnswerPolicy) -> float:
    """The lowest support score a quoted sentence may have for this question."""
    return policy.min_support_cjk if has_cjk(query.text) else policy.min_support_latin


def not_found(query: Query, passages: list[Passage], note: str) -> Answer:
    """An honest "the sources do not say", citing nothing."""
    return Answer(query.text, NOT_FOUND_TEXT, Verdict.NOT_FOUND, [], passages, notes=[note])


def compose_answer(index: "Index", query: Query, passages: list[Passage], policy: AnswerPolicy = AnswerPolicy(),
                   scored: list[ScoredSentence] | None = None, why: str = "") -> Answer:
    """Quote the sentences of ``passages`` that best answer ``query``, citing each.

    The verdict is ``quoted``: sentences are shown, no values compared (``why`` says why, for
    the notes), or ``not_found`` when no sentence is supportive enough. The same sentence in two
    sources is quoted once and cited to both.
    """
    scored = score_sentences(index, query, passages, policy.min_chars) if scored is None else scored
    if not scored:
        return not_found(query, passages, "no passage matched the question")
    best = scored[0].score
    floor = support_floor(query, policy)
    if best < floor:
        return not_found(query, passages, f"best supporting sentence scored {best:.2f}, below {floor:.2f}")
    quotes = Quotes()
    for s in scored:
        if quotes.count >= policy.max_sentences or s.score < best - policy.margin:
            break
        quotes.cite(s)
    docs = {c.doc_id for c in quotes.citations}
    head = (f"Quoted from {len(docs)} sources; no values were compared." if len(docs) > 1
            else "Quoted from one source; no values were compared.")
    text = head + "\n" + "\n".join(quotes.lines)
    notes = [why] if why else []
    return Answer(query.text, text, Verdict.QUOTED, quotes.citations, passages, notes=notes)


class Quotes:
    """Citations in order; the same sentence from several sources is quoted once, cited to each."""

    def __init__(self) -> None:
        self.citations: list[Citation] = []
        self.lines: list[str] = []
        self._by_text: dict[str, int] = {}  # normalised sentence -> its line
        self._by_sentence: dict[int, Citation] = {}

    @property
    def count(self) -> int:
        return len(self.lines)

    def cite(self, s: "ScoredSentence", value: "Value | None" = None, indent: str = "", quote: bool = True) -> Citation:
        """Cite sentence ``s`` (and the value in it); returns its citation. With ``quote`` False the
        caller shows the marker itself (no quoted line is added)."""
        known = self._by_sentence.get(s.sentence_id)
        if known is not None:
            return known  # one citation per sentence; its other values are shown beside their own lines
        cite = Citation(len(self.citations) + 1, s.passage.doc_id, s.passage.chunk_id, s.passage.rank, s.sentence_id,
                        s.start, s.end, s.text, s.score, s.passage.source)
        if value is not None:
            cite.value, cite.value_start, cite.value_end = value.text, value.start, value.end
        self.citations.append(cite)
        self._by_sentence.setdefault(s.sentence_id, cite)
        if not quote:
            return cite
        key = normalise(s.text)
        line = self._by_text.get(key)
        if line is None:
            self._by_text[key] = len(self.lines)
            self.lines.append(f"{indent}{s.text} [{cite.n}]")
        else:
            self.lines[line] += f" [{cite.n}]"
        return cite




# ----------------------------------------------------------------------------- checked answers


def source_name(source: dict[str, Any]) -> str:
    """Who a source is, for a reader: its publisher, else its byline, else its file name."""
    for key in ("publisher", "byline", "file", "doc_id"):
        value = one_line(source.get(key) or "").strip()
        if value and not value.lower().startswith("unknown"):
            return value
    return "unknown source"


@dataclass(frozen=True)
class SourceRef:
    """One source behind a value: who, when it was published and reported, and the citation."""

    doc_id: str
    name: str
    date: str | None
    reported: str | None
    citation: int

    def to_dict(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "name": self.name, "date": self.date, "reported": self.reported,
                "citation": self.citation, "label": self.describe(), "when": self.when()}

    def when(self) -> str:
        """The source's date; both dates, each named, when the figure is said to have been
        reported on another day than the article's."""
        return when_text(self.date, self.reported)

    def describe(self) -> str:
        return f"{self.name} ({self.when()})"


def source_when(source: dict[str, Any]) -> str:
    """:meth:`Source.when` of a source as :meth:`Answer.to_dict` gives it (older dicts lack it)."""
    return source.get("when") or when_text(source.get("date"), source.get("reported"))


def when_text(date: str | None, reported: str | None) -> str:
    """``2026-01-08``, or ``reported 2026-01-05 · article 2026-01-08`` when the two differ."""
    if reported and date and reported != date:
        return f"reported {reported} · article {date}"
    return reported or date or "undated"


@dataclass(frozen=True)
class ValueReport:
    """A value the sources state, with every source that states it."""

    value: str
    kind: str
    unit: str
    interval: tuple[float, float]
    sources: tuple[SourceRef, ...]
    latest: bool
    number: float | None = None  # the value as written, in its kind's base unit (for a chart; None for a name)
    english: str = ""  # restated for an English reader ("CNY 1.25 billion"); "" when not needed
    modifiers: tuple[str, ...] = ()  # the measure its sentences name (adjusted, expected...)

    @property
    def citations(self) -> list[int]:
        return sorted({s.citation for s in self.sources})

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "kind": self.kind, "unit": self.unit, "interval": list(self.interval),
                "doc_ids": sorted({s.doc_id for s in self.sources}), "sources": [s.to_dict() for s in self.sources],
                "citations": self.citations, "latest_report": self.latest, "number": self.number,
                "english": self.english, "modifiers": list(self.modifiers)}


@dataclass(frozen=True)
class ApartReport:
    """A value shown but not compared: another period or another measure than the one asked."""

    value: str
    reason: str
    period: str
    modifiers: tuple[str, ...]
    source: SourceRef

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "reason": self.reason, "period": self.period, "modifiers": list(self.modifiers),
                "source": self.source.to_dict(), "citations": [self.source.citation]}


@dataclass(frozen=True)
class CheckReport:
    """What was compared for a checked answer, as shown to a reader and in JSON."""

    values: tuple[ValueReport, ...]
    apart: tuple[ApartReport, ...]
    contradicting: tuple[str, ...]
    latest_report: str

    def to_dict(self) -> dict[str, Any]:
        return {"groups": [v.to_dict() for v in self.values], "apart": [a.to_dict() for a in self.apart],
                "self_contradicting": list(self.contradicting), "latest_report_date": self.latest_report}


def compose_checked_answer(query: Query, comparison: Comparison, passages: list[Passage]) -> Answer:
    """An answer built from compared values: each value with its sources, dates and citations."""
    quotes = Quotes()
    verdict = comparison.verdict
    newest = comparison.latest if verdict is Verdict.CONFLICT else ""
    reports: list[ValueReport] = []
    blocks: list[tuple[str, list[int]]] = []
    for group in comparison.groups:
        refs = []
        first_line = len(quotes.lines)
        for c in sorted(group.members, key=lambda c: (c.claim.reported or "", c.doc_id, c.value.start)):
            cite = quotes.cite(c.sentence, c.value, indent="    ")
            refs.append(SourceRef(c.doc_id, source_name(c.sentence.passage.source), c.claim.doc_date,
                                  c.claim.reported, cite.n))
        latest = bool(newest) and group.latest == newest
        label = group.label()
        shown = next(c.value for c in group.members if c.value.text == label)
        modifiers = tuple(sorted(set().union(*(c.claim.modifiers for c in group.members))))
        reports.append(ValueReport(label, group.members[0].value.kind.value, group.members[0].value.unit,
                                   (group.low, group.high), tuple(refs), latest,
                                   None if shown.kind is ValueKind.NAME else shown.number, in_english(shown),
                                   modifiers))
        blocks.append((group.label(), list(range(first_line, len(quotes.lines)))))
    apart_reports = []
    apart_lines: list[str] = []
    for c in comparison.apart[:4]:
        first_line = len(quotes.lines)
        cite = quotes.cite(c.sentence, c.value, indent="    ")
        apart_lines.append("\n".join(quotes.lines[first_line:]))
        ref = SourceRef(c.doc_id, source_name(c.sentence.passage.source), c.claim.doc_date, c.claim.reported, cite.n)
        apart_reports.append(ApartReport(c.value.text, c.apart.value if c.apart else "", c.claim.period_label,
                                         tuple(sorted(c.claim.modifiers)), ref))
    lines = [_headline(verdict, reports)]
    unmatched = [a for a in apart_reports if a.reason == Apart.UNMATCHED.value]
    if unmatched:  # "agree" holds for the sources compared; say at once that another one differs
        lines.append("Also " + "; ".join(f"{a.value} ({a.source.name})" for a in unmatched)
                     + ", worded too differently to tell it is the same figure (below).")
    names = {ref.doc_id: ref.name for r in reports for ref in r.sources}
    lines += [f"{names.get(d, d)} states more than one of these values: it contradicts itself."
              for d in comparison.contradicting]
    for report, (_, quote_lines) in zip(reports, blocks):
        mark = " · latest report" if report.latest else ""
        lines.append(f"• {report.value} — " + "; ".join(s.describe() for s in _unique(report.sources)) + mark)
        lines.extend(quotes.lines[i] for i in quote_lines)
    if apart_reports:
        lines.append(f"{NOT_COMPARED}:")
        for a, quoted in zip(apart_reports, apart_lines):
            what = a.reason + (f", {a.period}" if a.period else "") + (f", {'/'.join(a.modifiers)}" if a.modifiers else "")
            lines.append(f"• {a.value} ({what}) — {a.source.describe()} [{a.source.citation}]")
            if quoted:
                lines.append(quoted)
    cited = {c.chunk_id for c in quotes.citations}
    passages = list(passages)
    for c in comparison.compared + list(comparison.apart[:4]):
        if c.sentence.passage.chunk_id in cited and all(p.chunk_id != c.sentence.passage.chunk_id for p in passages):
            passages.append(c.sentence.passage)
    check = CheckReport(tuple(reports), tuple(apart_reports), tuple(comparison.contradicting), newest)
    return Answer(query.text, "\n".join(lines), verdict, quotes.citations, passages, notes=list(comparison.notes),
                  check=check, question_read=comparison.question)


def _unique(sources: Sequence[SourceRef]) -> list[SourceRef]:
    seen: dict[str, SourceRef] = {}
    for s in sources:
        seen.setdefault(s.doc_id, s)
    return list(seen.values())


def _headline(verdict: Verdict, reports: list[ValueReport]) -> str:
    """The one-line answer: the value(s) and who states each."""
    def who(r: ValueReport) -> str:
        names = list(dict.fromkeys(s.name for s in r.sources))
        return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")

    if verdict is Verdict.CONFLICT:
        return "Sources disagree: " + " vs ".join(f"{r.value} ({who(r)})" for r in reports) + "."
    if verdict is Verdict.CONSISTENT:
        n = len({s.doc_id for s in reports[0].sources})
        return f"{n} sources agree: {reports[0].value} ({who(reports[0])})."
    return f"One source states it: {reports[0].value} ({who(reports[0])}); no other source gives this figure."


# ----------------------------------------------------------------------------- the one-line answer


def in_english(value: Value) -> str:
    """A value written in Chinese, restated for an English reader: ``12.47亿元`` → ``CNY 1.25
    billion``, ``超6000家`` → ``over 6,000``. Empty when the value is already written without
    Chinese characters, or is a measure of its own unit (kept as written)."""
    if not has_cjk(value.text):
        return ""
    n = value.number
    if value.kind is ValueKind.MONEY:
        text = f"{value.unit} {_amount(n)}"
    elif value.kind in (ValueKind.COUNT, ValueKind.NUMBER):
        text = _amount(n)
    elif value.kind is ValueKind.PERCENT:
        text = f"{_digits(n)} percentage points" if value.unit == "pp" else f"{_digits(n)}%"
    elif value.kind is ValueKind.MULTIPLE:
        text = f"{_digits(n)} times"
    elif value.kind is ValueKind.DATE:
        text = value.label
    elif value.kind is ValueKind.DURATION:
        text = _duration(n)
    else:
        return ""
    hedge = value.hedge.value.replace("_", " ")
    return f"{hedge} {text}" if hedge and value.kind is not ValueKind.DATE else text


def _digits(n: float) -> str:
    """Three significant digits, without a trailing ``.0``: 1.2468 → 1.25, 312.0 → 312."""
    text = f"{n:.3g}"
    if "e" in text:  # 3 significant digits of a large number: written out in full
        text = f"{round(n, -int(f'{abs(n):e}'.split('e')[1]) + 2):,.0f}"
    return text


def _amount(n: float) -> str:
    """1246800000 → "1.25 billion" (the English lexicon's [scales] words), 12000 → "12,000"."""
    scale = next(((w, s) for w, s in reversed(lexicon("en").scales) if s >= 1e6 and abs(n) >= s), None)
    if scale is not None:
        return f"{_digits(n / scale[1])} {scale[0]}"
    return f"{n:,.0f}" if float(n).is_integer() else _digits(n)


def _duration(days: float) -> str:
    for size, name in ((365.25, "years"), (30.4375, "months"), (7.0, "weeks"), (1.0, "days")):
        if days >= size * 0.999:
            return f"{_digits(days / size)} {name}"
    return f"{_digits(days * 24)} hours"


# What the one-line answer says, per language of the question; Chinese is written in Simplified
# and converted to the asker's script. Placeholders: {items}, {value}, {who}, {n}, {quote}, {cite}.
HEADLINES = {
    "en": {
        "conflict": "Sources disagree: {items}.", "join": " vs ", "item": "{value} ({who})",
        "consistent": "{n} sources agree: {value} ({who}).",
        "single_source": "One source says {value} ({who}); no other source gives this figure.",
        "quoted": "“{quote}” [{cite}] — {who} (quoted; no figure compared)",
        "not_found": NOT_FOUND_TEXT, "names": "; ", "more": "{names} and {rest} more", "about": " ≈ ",
    },
    "zh": {
        "conflict": "来源说法不一：{items}。", "join": "；", "item": "{value}（{who}）",
        "consistent": "{n}个来源一致：{value}（{who}）。",
        "single_source": "仅一个来源给出：{value}（{who}），没有其他来源可以比对。",
        "quoted": "“{quote}”[{cite}]——{who}（原文引用，未比对数值）",
        "not_found": "资料中没有这个问题的答案。", "names": "、", "more": "{names}等{n}个来源", "about": "",
    },
}
MAX_HEADLINE_QUOTE = 160  # characters of the best sentence shown in a quoted answer's one line


def make_headline(answer: Answer) -> str:
    """The one-line answer, in the asker's language and script, never more than the verdict:
    a conflict lists each value with who states it, agreement the agreed value and its sources,
    a single source says so, a quoted answer gives its best sentence first, not found says so.
    An English asker also reads each Chinese value in English ("12.47亿元 ≈ CNY 1.25 billion")."""
    lang = language_of(answer.question)
    words = HEADLINES[lang]
    verdict = answer.verdict
    reports = list(answer.check.values) if answer.check is not None else []

    def who(sources: Sequence[str]) -> str:
        names = list(dict.fromkeys(sources))
        shown = words["names"].join(names[:3])
        return words["more"].format(names=shown, n=len(names), rest=len(names) - 3) if len(names) > 3 else shown

    def value(r: ValueReport) -> str:
        english = f"{words['about']}{r.english}" if words["about"] and r.english else ""
        return r.value + english

    if verdict is Verdict.NOT_FOUND or (not reports and not answer.citations):
        line = words["not_found"]
    elif verdict is Verdict.CONFLICT and reports:
        line = words["conflict"].format(items=words["join"].join(
            words["item"].format(value=value(r), who=who([s.name for s in r.sources])) for r in reports))
    elif verdict is Verdict.CONSISTENT and reports:
        r = reports[0]
        line = words["consistent"].format(n=len({s.doc_id for s in r.sources}), value=value(r),
                                          who=who([s.name for s in r.sources]))
    elif verdict is Verdict.SINGLE_SOURCE and reports:
        r = reports[0]
        line = words["single_source"].format(value=value(r), who=who([f"{s.name}, {s.when()}" for s in r.sources]))
    else:
        best = answer.citations[0]
        quote = one_line(best.quote)
        if len(quote) > MAX_HEADLINE_QUOTE:
            quote = quote[:MAX_HEADLINE_QUOTE - 1].rstrip() + "…"
        source = f"{source_name(best.source)}, {best.source.get('date') or 'undated'}"
        line = words["quoted"].format(quote=quote, cite=best.n, who=source)
    line = one_line(line)
    if lang == "zh" and detect_script(answer.question) in ("Simplified", "Traditional"):
        line = display_script(line, detect_script(answer.question))
    return line


# ----------------------------------------------------------------------------- Markdown


def _md(text: object) -> str:
    """Text from a document for a Markdown line or table cell: one line, pipes escaped."""
    return one_line(text).replace("|", "\\|")


def answer_markdown(data: dict[str, Any]) -> str:
    """An answer (``Answer.to_dict()``, or what the chat keeps of it) as Markdown: the question,
    the one-line answer, each value with who states it and when, what was not compared, and each
    cited source with its date and quote. Used by the chat's "Copy as Markdown" and by
    ``factcheck ask --markdown``."""
    verdict = data.get("verdict", "not_found")
    title = data.get("verdict_title") or Verdict(verdict).title
    headline = _md(data.get("headline", ""))
    lead = f"**{title}**{headline[len(title):]}" if headline.startswith(title) else f"**{title}.** {headline}"
    out = [f"### {_md(data.get('question', ''))}", "", lead]
    check = data.get("check") or {}
    groups = check.get("groups", [])
    if groups:
        out += ["", "| Value | Source | Date | Cited |", "|---|---|---|---|"]
        for g in groups:
            shown = _md(g["value"]) + (f" ≈ {_md(g['english'])}" if g.get("english") else "")
            marks = [m.replace("_", " ") for m in g.get("modifiers", [])]
            shown += "".join(f" ({_md(m)})" for m in marks) + (" · latest report" if g.get("latest_report") else "")
            for i, s in enumerate(g.get("sources", [])):
                when = source_when(s)
                out.append(f"| {shown if i == 0 else ''} | {_md(s.get('name') or s.get('doc_id', ''))} "
                           f"| {_md(when)} | [{int(s['citation'])}] |")
    names = {s["doc_id"]: s.get("name") or s["doc_id"] for g in groups for s in g.get("sources", [])}
    for doc_id in check.get("self_contradicting", []):
        out += ["", f"*{_md(names.get(doc_id, doc_id))} states more than one of these values: it contradicts itself.*"]
    apart = check.get("apart", [])
    if apart:
        out += ["", f"{NOT_COMPARED}:"]
        for a in apart:
            why = ", ".join(_md(x) for x in (a.get("reason"), a.get("period"), *a.get("modifiers", [])) if x)
            src = a.get("source", {})
            out.append(f"- {_md(a['value'])} ({why}) — {_md(src.get('name') or src.get('doc_id', ''))}, "
                       f"{_md(source_when(src))} "
                       f"[{int(src['citation'])}]")
    citations = data.get("citations", [])
    if citations:
        out += ["", "Sources:", ""]
        for c in citations:
            src = c.get("source", {})
            out.append(f"{int(c['n'])}. {_md(source_name(src))} — article {_md(src.get('date') or 'undated')} — "
                       f"`{_md(src.get('doc_id') or c.get('doc_id', ''))}`")
            out.append(f"   > {_md(c['quote'])}")
    for note in data.get("notes", []):
        out += ["", f"*note: {_md(note)}*"]
    return "\n".join(out) + "\n"
