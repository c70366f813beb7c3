"""HTML for answers. Presentation only: every string that comes from a document or a
question is escaped here, so article text can never run script or load anything; it is also
stripped of bidi controls and isolated (``<bdi>``), so it cannot reorder what is shown around it."""

from __future__ import annotations

from html import escape
from typing import Any

from index.text import display_script, one_line, without_bidi

SCRIPTS = ("Original", "Simplified", "Traditional")

VERDICT_BADGES = {
    "conflict": ("fc-banner fc-conflict", "⚠ Sources disagree"),
    "consistent": ("fc-badge fc-consistent", "✓ Sources agree"),
    "single_source": ("fc-badge fc-single", "Single source"),
    "quoted": ("fc-badge fc-quoted", "Quoted, not compared"),
    "not_found": ("fc-badge fc-notfound", "Not found in the sources"),
}

# What the HTML shows of a source: who states a value, and a cited passage's source line.
WHO = ("doc_id", "label", "name", "citation")
SOURCE = ("doc_id", "publisher", "byline", "date", "script")

CSS = """
.fc-turn {border-bottom: 1px solid #ddd; padding: 12px 0;}
.fc-question {font-weight: 600; font-size: 1.05em; margin-bottom: 6px;}
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
.fc-newest {background: #8a1c12; color: white; border-radius: 8px; padding: 0 6px; font-size: 0.75em; margin-left: 6px;}
.fc-answer {white-space: pre-wrap; margin: 6px 0;}
.fc-cite {border-left: 3px solid #9ab; padding: 4px 10px; margin: 8px 0;}
.fc-source {font-size: 0.85em; color: #555;}
.fc-passage {white-space: pre-wrap; margin-top: 4px;}
.fc-sentence {background: #fff3b0;}
.fc-valuemark {background: #ffb86b; font-weight: 700;}
.fc-note {font-size: 0.8em; color: #777;}
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


def source_line(source: dict[str, Any]) -> str:
    """Who published it, when, in which script (escaped, each part isolated)."""
    who = " · ".join(_name(source[k]) for k in ("publisher", "byline") if source.get(k)) or "unknown publisher"
    parts = [source.get("doc_id", ""), source.get("date") or "undated", source.get("script", "")]
    doc_id, date, script = (_name(p) for p in parts)
    return f"{doc_id} — {who} — {date} — {script}"


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


def answer_html(answer: dict[str, Any], script: str = "Original") -> str:
    """One question and its answer (an ``Answer.to_dict()``) as HTML."""
    verdict = answer.get("verdict", "not_found")
    css, label = VERDICT_BADGES.get(verdict, ("fc-badge", verdict))
    out = [f'<div class="fc-turn" data-verdict="{escape(verdict)}">',
           f'<div class="fc-question">Q: {_isolated(_shown(answer.get("question", ""), "Original"))}</div>']
    check = answer.get("check") or {}
    groups = check.get("groups", [])
    if verdict == "conflict":
        out.append(f'<div class="{css}" role="alert">{label}: the articles state different values.</div>')
    else:
        n_docs = len({s["doc_id"] for g in groups for s in g.get("sources", [])})
        extra = f" ({n_docs} sources)" if verdict == "consistent" and n_docs else ""
        out.append(f'<span class="{css}">{label}{extra}</span>')
    if verdict == "not_found":
        out.append('<div class="fc-answer">The sources do not answer this question.</div>')
    elif groups:
        out.append('<div class="fc-values">')
        for g in groups:
            latest = '<span class="fc-newest">latest report</span>' if g.get("latest_report") else ""
            who = "<br>".join(_name(_source_text(s)) for s in _unique_sources(g.get("sources", [])))
            refs = " ".join(f"[{int(n)}]" for n in g.get("citations", []))
            value = _isolated(_shown(g["value"], script))
            out.append(f'<div class="fc-value"><div class="fc-value-number">{value}{latest}</div>'
                       f'<div class="fc-source">{who}</div><div>{refs}</div></div>')
        out.append("</div>")
        names = {s["doc_id"]: _source_text(s) for g in groups for s in g.get("sources", [])}
        for doc_id in check.get("self_contradicting", []):
            out.append(f'<div class="fc-self">{_name(names.get(doc_id, doc_id))} states more than one of these '
                       f'values: it contradicts itself.</div>')
        for a in check.get("apart", []):
            why = a.get("reason", "") + (f", {a['period']}" if a.get("period") else "")
            out.append(f'<div class="fc-apart">Not compared: {_isolated(_shown(a["value"], script))} ({_name(why)}) — '
                       f'{_name(_source_text(a.get("source", {})))} [{int(a["source"]["citation"])}]</div>')
    else:
        lines = [f'{_isolated(_shown(c["quote"], script))} [{int(c["n"])}]' for c in answer.get("citations", [])]
        out.append(f'<div class="fc-answer">{"<br>".join(lines)}</div>')
    passages = {p["chunk_id"]: p for p in answer.get("passages", [])}
    for c in answer.get("citations", []):
        out.append(f'<div class="fc-cite" data-n="{int(c["n"])}"><div class="fc-source">[{int(c["n"])}] '
                   f'{source_line(c.get("source", {}))}</div>'
                   f'{_passage_html(c, passages.get(c["chunk_id"]), script)}</div>')
    for note in answer.get("notes", []):
        out.append(f'<div class="fc-note">note: {_name(note)}</div>')
    out.append("</div>")
    return "".join(out)


def kept(answer: dict[str, Any]) -> dict[str, Any]:
    """What :func:`answer_html` reads of an answer (``Answer.to_dict()``): all a chat keeps of a turn."""
    check = answer.get("check") or {}
    cited = {c["chunk_id"] for c in answer.get("citations", [])}
    return {
        "question": answer.get("question", ""),
        "verdict": answer.get("verdict", "not_found"),
        "check": {
            "groups": [_pick(g, "value", "latest_report", "citations") | {"sources": [_pick(s, *WHO) for s in g.get("sources", [])]}
                       for g in check.get("groups", [])],
            "self_contradicting": check.get("self_contradicting", []),
            "apart": [_pick(a, "value", "reason", "period") | {"source": _pick(a.get("source", {}), *WHO)}
                      for a in check.get("apart", [])],
        },
        "citations": [_pick(c, "n", "chunk_id", "span", "value_span", "quote") | {"source": _pick(c.get("source", {}), *SOURCE)}
                      for c in answer.get("citations", [])],
        "passages": [_pick(p, "chunk_id", "text", "span") for p in answer.get("passages", []) if p["chunk_id"] in cited],
        "notes": answer.get("notes", []),
    }


def _pick(d: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: d[k] for k in keys if k in d}


def _source_text(source: dict[str, Any]) -> str:
    """Who states a value and when, as the answer labels it (plain text, escaped by the caller)."""
    return str(source.get("label") or source.get("name") or source.get("doc_id", ""))


def _unique_sources(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for s in sources:
        seen.setdefault(str(s.get("doc_id")), s)
    return list(seen.values())


def conversation_html(answers: list[dict[str, Any]], script: str = "Original") -> str:
    """All turns, newest first."""
    if not answers:
        return '<div class="fc-note">Ask a question about the articles, in Chinese or English.</div>'
    return "".join(answer_html(a, script) for a in reversed(answers))


def info_markdown(info: dict[str, Any]) -> str:
    """What is loaded, as plain text lines (no markup from documents)."""
    emb = info.get("embedder", {})
    counts = info.get("counts", {})
    return (f"Index: {one_line(info.get('index_dir'))}\n"
            f"Embedder: {emb.get('name')} ({emb.get('dim')}-d)\n"
            f"Corpus: {one_line(info.get('corpus_dir'))}\n"
            f"{counts.get('documents', 0)} documents · {counts.get('chunks', 0)} passages · "
            f"{counts.get('claims', 0)} claims · built {info.get('created_at')}")
