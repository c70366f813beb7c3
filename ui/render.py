"""HTML for answers. Presentation only: every string that comes from a document or a
question is escaped here, so article text can never run script or load anything; it is also
stripped of bidi controls and isolated (``<bdi>``), so it cannot reorder what is shown around it."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from index.text import display_script, has_cjk, one_line, without_bidi
from retriever.answer import answer_markdown, source_name, source_when

SCRIPTS = ("Original", "Simplified", "Traditional")

VERDICT_BADGES = {
    "conflict": ("fc-banner fc-conflict", "⚠ Sources disagree"),
    "consistent": ("fc-badge fc-consistent", "✓ Sources agree"),
    "single_source": ("fc-badge fc-single", "Single source"),
    "quoted": ("fc-badge fc-quoted", "Quoted, not compared"),
    "not_found": ("fc-badge fc-notfound", "Not found in the sources"),
}

# What the HTML and the Markdown export show of a source: who states a value, and a cited
# passage's source line.
WHO = ("doc_id", "label", "name", "citation", "date", "reported", "when")
SOURCE = ("doc_id", "file", "publisher", "byline", "date", "script")

LATEST_TIP = "the most recent report date among these values; the latest report is not necessarily the correct one"

CSS = """
.fc-turn {border-bottom: 1px solid #ddd; padding: 12px 0;}
.fc-turn > summary {cursor: pointer;}
.fc-turn:not([open]) > summary {color: #555;}
.fc-question {font-weight: 600; font-size: 1.05em; margin-bottom: 6px;}
.fc-summary-verdict {font-weight: 400; font-size: 0.8em; color: #666; margin-left: 8px;}
.fc-headline {font-size: 1.08em; font-weight: 600; margin: 8px 0; line-height: 1.45;}
.fc-banner {display: block; padding: 10px 14px; border-radius: 6px; font-weight: 700; margin: 6px 0;}
.fc-conflict {background: #fde2e1; color: #8a1c12; border: 1px solid #e7a39c;}
.fc-badge {display: inline-block; padding: 2px 10px; border-radius: 12px; font-size: 0.85em; margin: 4px 0;}
.fc-consistent {background: #e3f4e1; color: #1d5e1a;}
.fc-single {background: #ececec; color: #444;}
.fc-notfound {background: #fff4d6; color: #6b4e00;}
.fc-quoted {background: #e8eef7; color: #2d4a6b;}
.fc-apart {font-size: 0.85em; color: #555; margin: 4px 0;}
.fc-self {font-size: 0.9em; color: #8a1c1c; margin: 4px 0;}
.fc-values {display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 10px; margin: 8px 0;}
.fc-value {border: 1px solid #d5d5d5; border-radius: 6px; padding: 8px 10px; background: #fafafa;}
.fc-turn[data-verdict="conflict"] .fc-value {border-color: #e0c4c1; background: #fffafa;}
.fc-value-number {font-size: 1.25em; font-weight: 700;}
.fc-english {font-size: 0.85em; color: #444; margin: 2px 0;}
.fc-measure {display: inline-block; background: #eef; color: #334; border: 1px solid #ccd; border-radius: 8px;
  padding: 0 6px; font-size: 0.75em; margin: 2px 4px 2px 0;}
.fc-newest {background: #555; color: white; border-radius: 8px; padding: 0 6px; font-size: 0.7em; margin-left: 6px;
  font-weight: 400; white-space: nowrap;}
.fc-who {font-size: 0.85em; color: #333; margin-top: 3px;}
.fc-when {color: #666; white-space: nowrap;}
.fc-ref {text-decoration: none; white-space: nowrap;}
.fc-answer {white-space: pre-wrap; margin: 6px 0;}
.fc-cite {border-left: 3px solid #9ab; padding: 4px 10px; margin: 8px 0; scroll-margin-top: 60px;}
.fc-cite:target {background: #fff8d8; border-left-color: #c90;}
.fc-source {font-size: 0.85em; color: #555;}
.fc-passage {white-space: pre-wrap; margin-top: 4px;}
.fc-sentence {background: #fff3b0;}
.fc-valuemark {background: #ffb86b; font-weight: 700;}
.fc-note {font-size: 0.8em; color: #777;}
.fc-hint {background: #eef4fb; color: #234; border: 1px solid #c8d8ea; border-radius: 6px; padding: 8px 12px; margin: 6px 0;}
.fc-chart {margin: 10px 0; max-width: 420px;}
.fc-chart svg {width: 100%; height: auto; display: block;}
.fc-chart-title {font-size: 0.85em; color: #444; margin-bottom: 2px;}
.fc-legend {list-style: none; padding: 0; margin: 4px 0; font-size: 0.85em;}
.fc-legend li {margin: 2px 0;}
.fc-dot {display: inline-block; width: 10px; height: 10px; border-radius: 5px; margin-right: 6px;}
.fc-export {margin: 8px 0;}
.fc-copy {font-size: 0.85em; padding: 3px 10px; border: 1px solid #bbb; border-radius: 6px; background: #f6f6f6;
  cursor: pointer;}
.fc-copied {font-size: 0.8em; color: #2d6a2d; margin-left: 8px;}
.fc-md {width: 100%; min-height: 10em; font-family: monospace; font-size: 0.8em; margin-top: 6px;}
#fc-examples .fc-example {white-space: normal; overflow-wrap: anywhere; text-align: left; height: auto;
  max-width: 100%; overflow: visible; text-overflow: clip; flex: 0 1 auto;}
#fc-examples .fc-examples-label {font-size: 0.85em; color: #666;}
"""

# Runs once when the conversation loads (gr.HTML js_on_load): one listener for every "Copy as
# Markdown" button, present and future. Without the clipboard (an old browser, a page that is
# not a secure context, permission refused) the Markdown is shown in a box to copy by hand.
COPY_JS = """
element.addEventListener('click', async (event) => {
  const button = event.target.closest('.fc-copy');
  if (!button) return;
  const box = button.parentElement.querySelector('.fc-md');
  const status = button.parentElement.querySelector('.fc-copied');
  try {
    if (!navigator.clipboard || !window.isSecureContext) throw new Error('no clipboard');
    await navigator.clipboard.writeText(box.value);
    status.textContent = 'Copied';
  } catch (err) {
    box.hidden = false;
    box.focus();
    box.select();
    status.textContent = 'Copy the text below (Ctrl+C / ⌘C)';
  }
});
"""


def _shown(text: str, script: str) -> str:
    """Escape ``text`` (without bidi controls) after converting it to the chosen script for display."""
    if script in ("Simplified", "Traditional"):
        text = display_script(text, script)
    return escape(without_bidi(text))


def _isolated(html: str) -> str:
    """Already escaped text in its own bidi scope: it cannot reorder its neighbours."""
    return f"<bdi>{html}</bdi>"


def _name(text: object) -> str:
    """A name from a document (file, publisher, byline, label): one line, escaped, isolated."""
    return _isolated(escape(one_line(text)))


def _attr(text: object) -> str:
    """A name for an attribute (a tooltip): one line, escaped with quotes."""
    return escape(one_line(text), quote=True)


def _ref(turn: int, n: object) -> str:
    """A citation marker that jumps to its passage."""
    n = int(n)  # type: ignore[call-overload]
    return f'<a class="fc-ref" href="#fc-t{turn}-c{n}">[{n}]</a>'


def source_line(source: dict[str, Any]) -> str:
    """Who it is (publisher, else byline, else file name; the id in a tooltip), the article's date
    and script (escaped, each part isolated)."""
    who = _name(source_name(source))
    date, script = (_name(p) for p in (source.get("date") or "undated", source.get("script", "")))
    return (f'<span class="fc-sourcename" title="{_attr(source.get("doc_id", ""))}">{who}</span>'
            f" — article {date}" + (f" — {script}" if source.get("script") else ""))


def _passage_html(citation: dict[str, Any], passage: dict[str, Any] | None, script: str) -> str:
    """The passage with its cited sentence and value highlighted; offsets are in the original text."""
    if passage is None:
        return f'<div class="fc-passage"><span class="fc-sentence">{_shown(citation["quote"], script)}</span></div>'
    text = passage["text"]
    base = passage["span"][0]
    s, e = citation["span"][0] - base, citation["span"][1] - base
    vs, ve = citation.get("value_span", [-1, -1])
    vs, ve = (vs - base, ve - base) if vs >= 0 else (-1, -1)
    parts = [_shown(text[:s], script), '<span class="fc-sentence">']
    if s <= vs < ve <= e:
        parts += [_shown(text[s:vs], script), f'<mark class="fc-valuemark">{_shown(text[vs:ve], script)}</mark>',
                  _shown(text[ve:e], script)]
    else:
        parts.append(_shown(text[s:e], script))
    parts += ["</span>", _shown(text[e:], script)]
    return f'<div class="fc-passage">{"".join(parts)}</div>'


def _value_card(g: dict[str, Any], turn: int, script: str, english_reader: bool) -> str:
    latest = (f'<span class="fc-newest" title="{_attr(LATEST_TIP)}">latest report</span>'
              if g.get("latest_report") else "")
    value = _isolated(_shown(g["value"], script))
    english = (f'<div class="fc-english">≈ {_name(g["english"])}</div>'
               if english_reader and g.get("english") else "")
    measures = "".join(f'<span class="fc-measure">{_name(m.replace("_", " "))}</span>'
                       for m in g.get("modifiers", []))
    who = []
    by_doc: dict[str, list[dict[str, Any]]] = {}
    for s in g.get("sources", []):
        by_doc.setdefault(str(s.get("doc_id")), []).append(s)
    for doc_id, refs in by_doc.items():
        s = refs[0]
        when = source_when(s)
        marks = " ".join(_ref(turn, n) for n in dict.fromkeys(r["citation"] for r in refs))
        who.append(f'<div class="fc-who" title="{_attr(doc_id)}">{_name(s.get("name") or doc_id)} '
                   f'<span class="fc-when">· {_name(when)}</span> {marks}</div>')
    return (f'<div class="fc-value"><div class="fc-value-number">{value}{latest}</div>{english}'
            f'{f"<div>{measures}</div>" if measures else ""}{"".join(who)}</div>')


CHART_COLOURS = ("#b3261e", "#1f5fa8", "#2e7d32", "#8e44ad", "#c77700", "#00838f")


def _day(label: str) -> dt.date | None:
    """An ISO date label (``2025-12-19``, ``2025-12``, ``2025``) as a day, for the chart's axis."""
    parts = (label or "").split("T")[0].split("-")
    try:
        numbers = [int(p) for p in parts[:3]] + [1] * (3 - len(parts[:3]))
        return dt.date(*numbers)
    except (TypeError, ValueError):
        return None


def conflict_chart(groups: list[dict[str, Any]], script: str = "Original") -> str:
    """A small inline SVG of each source's value by report date: who said what, when. Drawn only
    for two or more values with a report date; every label is escaped."""
    points: dict[tuple[int, dt.date], list[str]] = {}
    for gi, g in enumerate(groups):
        if g.get("number") is None:
            continue
        for s in g.get("sources", []):
            day = _day(s.get("reported") or s.get("date") or "")
            if day is not None:
                names = points.setdefault((gi, day), [])
                if s.get("name") not in names:
                    names.append(s.get("name") or s.get("doc_id", ""))
    if len({gi for gi, _ in points}) < 2:
        return ""
    width, height, left, right, top, bottom = 360, 150, 14, 346, 26, 92
    days = sorted({day for _, day in points})
    span = (days[-1] - days[0]).days

    def x(day: dt.date) -> float:
        return (left + right) / 2 if span == 0 else left + (right - left) * (day - days[0]).days / span

    numbers = [groups[gi]["number"] for gi, _ in points]
    low, high = min(numbers), max(numbers)

    def y(n: float) -> float:
        return (top + bottom) / 2 if high == low else bottom - (bottom - top) * (n - low) / (high - low)

    out = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="each source\'s value by report date" '
           f'font-size="14" xmlns="http://www.w3.org/2000/svg">',
           f'<line x1="{left - 10}" y1="{bottom + 14}" x2="{right + 10}" y2="{bottom + 14}" stroke="#999"/>']
    last_x = -1e9
    row = 0
    for day in days:  # date ticks, a second row where two would touch
        px = x(day)
        row = 1 - row if px - last_x < 80 else 0
        last_x = px
        anchor = "start" if px < left + 30 else "end" if px > right - 30 else "middle"
        out.append(f'<line x1="{px:.1f}" y1="{bottom + 10}" x2="{px:.1f}" y2="{bottom + 18}" stroke="#999"/>'
                   f'<text x="{px:.1f}" y="{bottom + 32 + 15 * row}" text-anchor="{anchor}" fill="#444">'
                   f'{escape(day.isoformat())}</text>')
    for gi, g in enumerate(groups):
        own = sorted(day for g2, day in points if g2 == gi)
        if not own:
            continue
        colour = CHART_COLOURS[gi % len(CHART_COLOURS)]
        py = y(g["number"])
        if len(own) > 1:
            out.append(f'<line x1="{x(own[0]):.1f}" y1="{py:.1f}" x2="{x(own[-1]):.1f}" y2="{py:.1f}" '
                       f'stroke="{colour}" stroke-dasharray="4 3" stroke-opacity="0.6"/>')
        for day in own:
            out.append(f'<circle cx="{x(day):.1f}" cy="{py:.1f}" r="6" fill="{colour}"/>')
        first = x(own[0])
        anchor, dx = ("end", -10) if first > (left + right) / 2 else ("start", 10)
        out.append(f'<text x="{first + dx:.1f}" y="{py - 9:.1f}" text-anchor="{anchor}" fill="{colour}" '
                   f'font-weight="700">{_shown(g["value"], script)}</text>')
    out.append("</svg>")
    legend = []
    for (gi, day), names in sorted(points.items(), key=lambda item: (item[0][1], item[0][0])):
        colour = CHART_COLOURS[gi % len(CHART_COLOURS)]
        legend.append(f'<li><span class="fc-dot" style="background:{colour}"></span>{escape(day.isoformat())}: '
                      f'<b>{_isolated(_shown(groups[gi]["value"], script))}</b> — '
                      + "; ".join(_name(n) for n in names) + "</li>")
    return (f'<figure class="fc-chart"><figcaption class="fc-chart-title">Who reported which value, when '
            f'(by report date)</figcaption>{"".join(out)}<ul class="fc-legend">{"".join(legend)}</ul></figure>')


def answer_html(answer: dict[str, Any], script: str = "Original", turn: int = 0, open_: bool = True) -> str:
    """One question and its answer (an ``Answer.to_dict()``) as HTML; ``turn`` numbers its anchors,
    ``open_`` False shows it folded to its question."""
    verdict = answer.get("verdict", "not_found")
    css, label = VERDICT_BADGES.get(verdict, ("fc-badge", verdict))
    question = answer.get("question", "")
    out = [f'<details class="fc-turn" data-verdict="{escape(verdict)}" id="fc-t{turn}"{" open" if open_ else ""}>',
           f'<summary class="fc-question">Q: {_isolated(_shown(question, "Original"))}'
           f'<span class="fc-summary-verdict">{escape(label)}</span></summary>']
    check = answer.get("check") or {}
    groups = check.get("groups", [])
    if verdict == "conflict":
        out.append(f'<div class="{css}" role="alert">{label}: the articles state different values.</div>')
    else:
        n_docs = len({s["doc_id"] for g in groups for s in g.get("sources", [])})
        extra = f" ({n_docs} sources)" if verdict == "consistent" and n_docs else ""
        out.append(f'<span class="{css}">{label}{extra}</span>')
    if answer.get("headline"):
        out.append(f'<div class="fc-headline">{_isolated(_shown(answer["headline"], script))}</div>')
    if verdict == "not_found":
        out.append('<div class="fc-answer">The sources do not answer this question.</div>')
    elif groups:
        english_reader = not has_cjk(question)
        out.append('<div class="fc-values">')
        out += [_value_card(g, turn, script, english_reader) for g in groups]
        out.append("</div>")
        if verdict == "conflict":
            out.append(conflict_chart(groups, script))
        names = {s["doc_id"]: s.get("name") or s["doc_id"] for g in groups for s in g.get("sources", [])}
        for doc_id in check.get("self_contradicting", []):
            out.append(f'<div class="fc-self">{_name(names.get(doc_id, doc_id))} states more than one of these '
                       f'values: it contradicts itself.</div>')
        for a in check.get("apart", []):
            why = ", ".join(x for x in (a.get("reason", ""), a.get("period", ""),
                                        *(m.replace("_", " ") for m in a.get("modifiers", []))) if x)
            src = a.get("source", {})
            when = source_when(src)
            out.append(f'<div class="fc-apart">Not compared: {_isolated(_shown(a["value"], script))} ({_name(why)}) — '
                       f'<span title="{_attr(src.get("doc_id", ""))}">{_name(src.get("name") or src.get("doc_id", ""))}'
                       f'</span> · {_name(when)} {_ref(turn, src["citation"])}</div>')
    else:
        lines = [f'{_isolated(_shown(c["quote"], script))} {_ref(turn, c["n"])}' for c in answer.get("citations", [])]
        out.append(f'<div class="fc-answer">{"<br>".join(lines)}</div>')
    passages = {p["chunk_id"]: p for p in answer.get("passages", [])}
    for c in answer.get("citations", []):
        n = int(c["n"])
        out.append(f'<div class="fc-cite" id="fc-t{turn}-c{n}" data-n="{n}"><div class="fc-source">[{n}] '
                   f'{source_line(c.get("source", {}))}</div>'
                   f'{_passage_html(c, passages.get(c["chunk_id"]), script)}</div>')
    for note in answer.get("notes", []):
        out.append(f'<div class="fc-note">note: {_name(note)}</div>')
    markdown = escape(answer_markdown(answer), quote=False).replace("\n", "&#10;")  # the HTML stays one line
    out.append('<div class="fc-export"><button type="button" class="fc-copy">Copy as Markdown</button>'
               f'<span class="fc-copied" aria-live="polite"></span>'
               f'<textarea class="fc-md" readonly hidden aria-label="the answer as Markdown">{markdown}</textarea></div>')
    out.append("</details>")
    return "".join(out)


def kept(answer: dict[str, Any]) -> dict[str, Any]:
    """What :func:`answer_html` reads of an answer (``Answer.to_dict()``): all a chat keeps of a turn."""
    check = answer.get("check") or {}
    cited = {c["chunk_id"] for c in answer.get("citations", [])}
    return {
        "question": answer.get("question", ""),
        "verdict": answer.get("verdict", "not_found"),
        "headline": answer.get("headline", ""),
        "check": {
            "groups": [_pick(g, "value", "latest_report", "citations", "number", "english", "modifiers")
                       | {"sources": [_pick(s, *WHO) for s in g.get("sources", [])]}
                       for g in check.get("groups", [])],
            "self_contradicting": check.get("self_contradicting", []),
            "apart": [_pick(a, "value", "reason", "period", "modifiers") | {"source": _pick(a.get("source", {}), *WHO)}
                      for a in check.get("apart", [])],
        },
        "citations": [_pick(c, "n", "chunk_id", "span", "value_span", "quote") | {"source": _pick(c.get("source", {}), *SOURCE)}
                      for c in answer.get("citations", [])],
        "passages": [_pick(p, "chunk_id", "text", "span") for p in answer.get("passages", []) if p["chunk_id"] in cited],
        "notes": answer.get("notes", []),
    }


def _pick(d: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: d[k] for k in keys if k in d}


HINT = "Type a question first, in Chinese or English — or pick one of the examples."


def conversation_html(answers: list[dict[str, Any]], script: str = "Original", hint: str = "") -> str:
    """All turns, newest first and open; older turns folded to their question. ``hint`` is a gentle
    note shown above them (an empty question)."""
    top = f'<div class="fc-hint" role="status">{_name(hint)}</div>' if hint else ""
    if not answers:
        return top + '<div class="fc-note">Ask a question about the articles, in Chinese or English.</div>'
    last = len(answers) - 1
    return top + "".join(answer_html(a, script, turn=i, open_=i == last) for i, a in reversed(list(enumerate(answers))))


def info_markdown(info: dict[str, Any]) -> str:
    """What is loaded, as plain text lines (no markup from documents)."""
    emb = info.get("embedder", {})
    counts = info.get("counts", {})
    return (f"Index: {one_line(info.get('index_dir'))}\n"
            f"Embedder: {emb.get('name')} ({emb.get('dim')}-d)\n"
            f"Corpus: {one_line(info.get('corpus_dir'))}\n"
            f"{counts.get('documents', 0)} documents · {counts.get('chunks', 0)} passages · "
            f"{counts.get('sentences', 0)} sentences · built {info.get('created_at')}")
