"""HTML for the Audit tab: every fact the sources disagree on, then those they agree on.

Presentation only, from ``AuditReport.to_dict()``: every string from a document is escaped,
stripped of bidi controls and isolated, as in :mod:`ui.render`. Each fact carries its question;
"Ask about it" puts the question in the Ask tab's box and asks it (:data:`AUDIT_JS`).
"""

from __future__ import annotations

from html import escape
from typing import Any

from index.text import one_line
from retriever.audit.report import fact_heading

from .render import _attr, _name, _shown

#: facts shown per list (the rest is counted; ``factcheck audit --json`` has them all)
SHOWN = 100

AUDIT_CSS = """
.fc-audit-summary {margin: 6px 0 10px; color: #333;}
.fc-fact {border: 1px solid #ddd; border-radius: 6px; padding: 8px 12px; margin: 8px 0;}
.fc-fact[data-status="disagree"] {border-color: #e7a39c; background: #fffafa;}
.fc-fact > summary {cursor: pointer; font-weight: 600;}
.fc-fact-meta {font-weight: 400; font-size: 0.85em; color: #666; margin-left: 6px;}
.fc-audit-quote {font-size: 0.9em; margin: 4px 0 2px; padding-left: 8px; border-left: 3px solid #9ab; white-space: pre-wrap;}
.fc-audit-ask {font-size: 0.85em; padding: 3px 10px; border: 1px solid #bbb; border-radius: 6px; background: #f6f6f6;
  cursor: pointer; margin: 6px 8px 0 0;}
.fc-audit-command {font-size: 0.8em; color: #555; overflow-wrap: anywhere;}
.fc-agree-list {padding-left: 18px;}
.fc-agree-list li {margin: 3px 0;}
"""

# Runs once when the audit output loads (gr.HTML js_on_load): one listener for every "Ask about
# it" button; the question goes into the Ask tab's box and is asked there.
AUDIT_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('.fc-audit-ask');
  if (!button) return;
  const tab = Array.from(document.querySelectorAll('button[role="tab"]')).find(b => b.textContent.trim() === 'Ask');
  if (tab) tab.click();
  setTimeout(() => {
    const box = document.querySelector('#fc-question textarea');
    if (!box) return;
    box.value = button.dataset.question;
    box.dispatchEvent(new Event('input', {bubbles: true}));
    setTimeout(() => document.querySelector('#fc-ask').click(), 100);
  }, 100);
});
"""

AUDIT_INTRO = ("Scan the whole archive for facts that two or more sources state — the same subject, measure and "
               "period — and list where their values disagree, strongest first. Roundings, hedges, other periods "
               "and other measures are not disagreements (the same rules as a question).")


def _quote(source: dict[str, Any], script: str) -> str:
    """The quoted sentence with the value marked (escaped; the value's span is in the document)."""
    quote = str(source.get("quote", ""))
    start = int(source.get("span", [0, 0])[0])
    v0, v1 = (int(x) - start for x in source.get("value_span", [start, start]))
    if not 0 <= v0 <= v1 <= len(quote):
        return _shown(quote, script)
    return (_shown(quote[:v0], script) + f'<mark class="fc-valuemark">{_shown(quote[v0:v1], script)}</mark>'
            + _shown(quote[v1:], script))


def _value_html(v: dict[str, Any], script: str) -> str:
    english = f'<div class="fc-english">≈ {_name(v["english"])}</div>' if v.get("english") else ""
    newest = '<span class="fc-newest">latest report</span>' if v.get("latest_report") else ""
    sources = "".join(
        f'<div class="fc-who"><span title="{_attr(s.get("doc_id", ""))}">{_name(s.get("name") or s.get("doc_id", ""))}'
        f'</span> · <span class="fc-when">{_name(s.get("when", ""))}</span></div>'
        f'<div class="fc-audit-quote">{_quote(s, script)}</div>'
        f'<div class="fc-source">{_name(s.get("doc_id", ""))} · chars {int(s.get("span", [0, 0])[0])}–'
        f'{int(s.get("span", [0, 0])[1])}</div>'
        for s in v.get("sources", []))
    return (f'<div class="fc-value"><div class="fc-value-number">{_isolated_value(v, script)}{newest}</div>'
            f"{english}{sources}</div>")


def _isolated_value(v: dict[str, Any], script: str) -> str:
    return f"<bdi>{_shown(str(v.get('value', '')), script)}</bdi>"


def fact_html(fact: dict[str, Any], n: int, script: str = "Original") -> str:
    """One disagreement: the fact, each value with its sources and quotes, and how to ask about it."""
    meta = f'{int(fact.get("sources", 0))} sources · strength {float(fact.get("strength", 0.0)):.2f}'
    question = str(fact.get("question", ""))
    return (f'<details class="fc-fact" data-status="{escape(str(fact.get("status", "")), quote=True)}" open>'
            f'<summary>{n}. {_name(fact_heading(fact))}<span class="fc-fact-meta">{meta}</span></summary>'
            f'<div class="fc-values">{"".join(_value_html(v, script) for v in fact.get("values", []))}</div>'
            f'<button class="fc-audit-ask" data-question="{_attr(question)}">Ask about it</button>'
            f'<span class="fc-audit-command"><code>{_name(fact.get("command", ""))}</code></span></details>')


def _agree_item(fact: dict[str, Any]) -> str:
    v = (fact.get("values") or [{}])[0]
    names = list(dict.fromkeys(one_line(s.get("name") or s.get("doc_id", "")) for s in v.get("sources", [])))
    return (f'<li><bdi>{_name(fact_heading(fact))}</bdi>: <strong>{_name(v.get("value", ""))}</strong> — '
            f'{_name(", ".join(names))}</li>')


def audit_html(data: dict[str, Any] | None, script: str = "Original", note: str = "") -> str:
    """The Audit tab's output for ``AuditReport.to_dict()`` (None: not run yet)."""
    if note:
        return f'<div class="fc-hint" role="status">{_name(note)}</div>'
    if data is None:
        return '<div class="fc-note">Press “Run audit” to scan the archive.</div>'
    counts = data.get("counts", {})
    dis, agree = data.get("disagreements", []), data.get("corroborated", [])
    out = [f'<div class="fc-audit-summary" id="fc-audit-summary">{int(counts.get("documents", 0))} documents, '
           f'{int(counts.get("statements", 0))} values read; {int(data.get("facts_compared", 0))} facts stated by two '
           f'or more sources compared: <strong>{len(dis)} disagreements</strong>, {len(agree)} corroborated '
           f'({float(counts.get("seconds", 0.0)):.1f} s).</div>']
    if dis:
        out.append("<h3>Sources disagree</h3>")
        out += [fact_html(f, n, script) for n, f in enumerate(dis[:SHOWN], 1)]
        if len(dis) > SHOWN:
            out.append(f'<div class="fc-note">… and {len(dis) - SHOWN} more (factcheck audit --json lists all).</div>')
    else:
        out.append('<div class="fc-note">No two sources were found to disagree on a fact.</div>')
    if agree:
        out.append(f'<h3>Sources agree (at least {int(data.get("min_sources", 2))})</h3><ul class="fc-agree-list">')
        out += [_agree_item(f) for f in agree[:SHOWN]]
        out.append("</ul>")
        if len(agree) > SHOWN:
            out.append(f'<div class="fc-note">… and {len(agree) - SHOWN} more.</div>')
    return "".join(out)
