#!/usr/bin/env python3
"""Validate the multi-topic gold set in eval/topics/.

Standard library only.  Usage:

    python3 eval/topics/check_gold.py            # validate + print count tables
    python3 eval/topics/check_gold.py --markdown # same tables as Markdown (for README)

Exit status is 0 when the set is valid, 1 otherwise.
"""
import json
import os
import re
import sys
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
SOURCES = os.path.join(CORPUS, "sources.json")
QUESTIONS = os.path.join(HERE, "questions.jsonl")

LANGS = ["en", "zh-Hans", "zh-Hant"]
CONDITIONS = ["conflict", "rounding", "format", "identical", "different_period",
              "different_measure", "single", "not_found", "non_numeric"]
EXPECTED = ["conflict", "consistent", "single_source", "not_found"]
KINDS = ["count", "money", "percent", "date", "year", "duration", "measure",
         "who", "where", "which"]
SCRIPTS = {"Latin": "en", "Simplified": "zh-Hans", "Traditional": "zh-Hant"}
DOC_PREFIX = {"en": "Latin", "zhs": "Simplified", "zht": "Traditional"}

# condition -> verdicts a question of that condition may expect
ALLOWED = {
    "conflict": {"conflict"},
    "rounding": {"consistent"},
    "format": {"consistent"},
    "identical": {"consistent"},
    "different_period": {"consistent", "single_source"},
    "different_measure": {"consistent", "single_source"},
    "single": {"single_source"},
    "not_found": {"not_found"},
    "non_numeric": {"consistent", "conflict"},
}
REQUIRED = ["id", "lang", "question", "topic", "kind", "condition", "expected",
            "cross_lingual", "values", "distractors", "note"]

# characters that differ between Simplified and Traditional (simplified, traditional)
PAIRS = ("这這 们們 说說 国國 会會 时時 发發 为為 对對 过過 还還 后後 来來 经經 现現 进進 与與 "
         "总總 统統 选選 举舉 门門 长長 东東 车車 马馬 见見 问問 间間 关關 开開 气氣 电電 灾災 "
         "难難 数數 应應 报報 员員 县縣 乡鄉 镇鎮 区區 据據 实實 营營 业業 额額 净淨 润潤 亿億 "
         "万萬 资資 产產 务務 设設 计計 划劃 将將 级級 亩畝 调調 伤傷 绩績 赛賽 场場 龄齡 测測 "
         "约約 网網 财財 观觀 讯訊 图圖 书書 馆館 读讀 风風 损損 农農 广廣 厂廠 价價 涨漲 险險 "
         "验驗 围圍 圆圓 岁歲 于於 汇匯 级級 轨軌 铁鐵 线線 站站 员員 达達 运運 听聽 证證 论論 "
         "获獲 胜勝 败敗 领領 导導 团團 队隊 击擊 宝寶 楼樓 术術 卫衛 载載 轮輪 仪儀 药藥 医醫 "
         "疗療 组組 结結 显顯 险險 严嚴 极極 复復 种種 积積 压壓 层層 带帶 虽雖 尽盡 齐齊 "
         "体體 传傳 专專 双雙 热熱 让讓 认認 样樣 众眾 儿兒 几幾 阳陽 湾灣 岭嶺 鲸鯨 鲨鯊 鹰鷹 "
         "鹄鵠 郑鄭 冲衝 队隊 谁誰 哪哪 几幾 少少 么麼 时時 间間 乐樂 话話 语語 词詞").split()
SIMP_ONLY = {p[0] for p in PAIRS if p[0] != p[1]}
TRAD_ONLY = {p[1] for p in PAIRS if p[0] != p[1]}

SENT_END = "。！？.!?"
CLOSERS = "」』”’）)\"'"


def doc_lang(doc_id):
    return SCRIPTS[DOC_PREFIX[doc_id.split("-")[0]]]


def event_of(doc_id):
    return doc_id.rsplit("-", 1)[0]


def main():
    markdown = "--markdown" in sys.argv
    errors, warnings = [], []

    # ---------- sources / corpus ----------
    with open(SOURCES, encoding="utf-8") as fh:
        sources = json.load(fh)
    files = {f[:-4] for f in os.listdir(CORPUS) if f.endswith(".txt")}
    for d in sorted(files - set(sources)):
        errors.append(f"corpus/{d}.txt has no entry in sources.json")
    for d in sorted(set(sources) - files):
        errors.append(f"sources.json lists {d} but corpus/{d}.txt is missing")
    texts = {}
    for d in sorted(files):
        with open(os.path.join(CORPUS, d + ".txt"), encoding="utf-8") as fh:
            texts[d] = fh.read()
    for d, meta in sorted(sources.items()):
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", d):
            errors.append(f"{d}: doc id must be lowercase ascii with hyphens")
        for k in ("publisher", "byline", "date", "script"):
            if not meta.get(k):
                errors.append(f"{d}: sources.json missing {k}")
        if meta.get("script") not in SCRIPTS:
            errors.append(f"{d}: bad script {meta.get('script')!r}")
        elif d.split("-")[0] in DOC_PREFIX and DOC_PREFIX[d.split("-")[0]] != meta["script"]:
            errors.append(f"{d}: script {meta['script']} does not match id prefix")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta.get("date", "")):
            errors.append(f"{d}: date must be YYYY-MM-DD")
    # article shape: title line, blank line, paragraphs; length; script purity
    for d, t in texts.items():
        lines = t.split("\n")
        if len(lines) < 3 or not lines[0].strip() or lines[1].strip():
            errors.append(f"{d}: expected 'title line, blank line, paragraphs'")
        body = "\n".join(lines[2:])
        if d not in sources:
            continue
        script = sources[d]["script"]
        if script == "Latin":
            n = len(re.findall(r"\S+", body))
            if not 120 <= n <= 350:
                errors.append(f"{d}: {n} words (want 120-350)")
        else:
            n = len(re.findall(r"[\u4e00-\u9fff\u3007]", body))
            if not 150 <= n <= 450:
                errors.append(f"{d}: {n} Chinese characters (want 150-450)")
            bad = (TRAD_ONLY if script == "Simplified" else SIMP_ONLY) & set(t)
            if bad:
                errors.append(f"{d}: {script} article contains {''.join(sorted(bad))}")
        if len([p for p in re.split(r"\n\s*\n", body) if p.strip()]) < 2:
            errors.append(f"{d}: needs several paragraphs")
    # events: 2-3 outlets, distinct publishers
    events = defaultdict(list)
    for d in sources:
        events[event_of(d)].append(d)
    for ev, docs in sorted(events.items()):
        if not 2 <= len(docs) <= 3:
            errors.append(f"event {ev}: {len(docs)} articles (want 2-3)")
        pubs = [sources[d]["publisher"] for d in docs]
        if len(set(pubs)) != len(pubs):
            errors.append(f"event {ev}: two articles share a publisher")

    # ---------- questions ----------
    questions = []
    with open(QUESTIONS, encoding="utf-8") as fh:
        for i, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                questions.append(json.loads(line))
            except json.JSONDecodeError as e:
                errors.append(f"questions.jsonl line {i}: {e}")
    seen = set()
    topic_events = defaultdict(set)
    for q in questions:
        for v in q.get("values", []) + q.get("distractors", []):
            if isinstance(v, dict) and v.get("doc_id") in sources:
                topic_events[q.get("topic")].add(event_of(v["doc_id"]))
    for tp, evs in topic_events.items():
        if len(evs) > 1:
            errors.append(f"topic {tp} spans several events: {sorted(evs)}")
    for q in questions:
        qid = q.get("id", "?")
        for k in REQUIRED:
            if k not in q:
                errors.append(f"{qid}: missing field {k}")
        if qid in seen:
            errors.append(f"{qid}: duplicate id")
        seen.add(qid)
        if q.get("lang") not in LANGS:
            errors.append(f"{qid}: bad lang {q.get('lang')!r}")
        if q.get("condition") not in CONDITIONS:
            errors.append(f"{qid}: bad condition {q.get('condition')!r}")
        if q.get("expected") not in EXPECTED:
            errors.append(f"{qid}: bad expected {q.get('expected')!r}")
        if q.get("kind") not in KINDS:
            errors.append(f"{qid}: bad kind {q.get('kind')!r}")
        if not isinstance(q.get("cross_lingual"), bool):
            errors.append(f"{qid}: cross_lingual must be true/false")
        if not str(q.get("question", "")).strip() or not str(q.get("note", "")).strip():
            errors.append(f"{qid}: empty question or note")
        cond, exp = q.get("condition"), q.get("expected")
        if cond in ALLOWED and exp not in ALLOWED[cond]:
            errors.append(f"{qid}: condition {cond} cannot expect {exp}")
        if (cond == "non_numeric") != (q.get("kind") in ("who", "where", "which")):
            errors.append(f"{qid}: kind {q.get('kind')} does not fit condition {cond}")
        # question script purity
        qt = q.get("question", "")
        if q.get("lang") == "zh-Hans" and TRAD_ONLY & set(qt):
            errors.append(f"{qid}: zh-Hans question has {''.join(sorted(TRAD_ONLY & set(qt)))}")
        if q.get("lang") == "zh-Hant" and SIMP_ONLY & set(qt):
            errors.append(f"{qid}: zh-Hant question has {''.join(sorted(SIMP_ONLY & set(qt)))}")
        if q.get("lang") == "en" and re.search(r"[\u4e00-\u9fff]", qt) and not q.get("cross_lingual"):
            warnings.append(f"{qid}: English question contains CJK but is not cross-lingual")
        # entries
        entries = []
        for field in ("values", "distractors"):
            lst = q.get(field, [])
            if not isinstance(lst, list):
                errors.append(f"{qid}: {field} must be a list")
                continue
            for e in lst:
                if not isinstance(e, dict) or not {"doc_id", "value", "quote"} <= set(e):
                    errors.append(f"{qid}: {field} entry needs doc_id/value/quote")
                    continue
                d = e["doc_id"]
                if d not in texts:
                    errors.append(f"{qid}: {field} doc {d} not in corpus")
                    continue
                text = texts[d]
                quote, value = e["quote"], e["value"]
                if not quote or quote not in text:
                    errors.append(f"{qid}: quote not found in {d}: {quote[:50]!r}")
                    continue
                if not value or value not in quote:
                    errors.append(f"{qid}: value {value!r} not in its quote ({d})")
                title = text.split("\n", 1)[0]
                if quote in title:
                    errors.append(f"{qid}: quote is taken from the title of {d}")
                # whole sentence: ends with a terminator, starts at a boundary
                if quote.rstrip(CLOSERS)[-1:] not in SENT_END:
                    errors.append(f"{qid}: quote in {d} does not end a sentence: {quote[-20:]!r}")
                pos = text.find(quote)
                before = text[:pos].rstrip(" ")
                if before and before[-1] != "\n" and before.rstrip(CLOSERS)[-1:] not in SENT_END:
                    errors.append(f"{qid}: quote in {d} does not start a sentence: {quote[:20]!r}")
                entries.append((field, d, value))
        vals = [(d, v) for f, d, v in entries if f == "values"]
        dis = [(d, v) for f, d, v in entries if f == "distractors"]
        vdocs = {d for d, _ in vals}
        if len(vdocs) != len(vals):
            errors.append(f"{qid}: a document appears twice in values")
        if exp == "not_found" and vals:
            errors.append(f"{qid}: not_found question must have empty values")
        if exp == "single_source" and len(vdocs) != 1:
            errors.append(f"{qid}: single_source needs exactly one doc in values")
        if exp == "consistent" and len(vdocs) < 2:
            errors.append(f"{qid}: consistent needs >= 2 docs in values")
        if exp == "conflict":
            if len(vdocs) < 2 or len({v for _, v in vals}) < 2:
                errors.append(f"{qid}: conflict needs >= 2 docs with different values")
        if cond in ("different_period", "different_measure") and not dis:
            errors.append(f"{qid}: {cond} question should list distractors")
        for d, v in dis:
            if (d, v) in vals:
                errors.append(f"{qid}: {d}/{v} is both a value and a distractor")
        if cond == "identical" and len({v for _, v in vals}) != 1:
            errors.append(f"{qid}: identical question has differing values")
        # topic consistency and cross-lingual flag
        evs = {event_of(d) for d, _ in vals + dis} or topic_events.get(q.get("topic"), set())
        if not evs:
            errors.append(f"{qid}: cannot tell which event topic {q.get('topic')} refers to")
            continue
        art_langs = {doc_lang(sorted(events[ev])[0]) for ev in evs}
        is_cross = q.get("lang") not in art_langs
        if is_cross != bool(q.get("cross_lingual")):
            errors.append(f"{qid}: cross_lingual={q.get('cross_lingual')} but question lang "
                          f"{q.get('lang')} vs articles {sorted(art_langs)}")

    # ---------- report ----------
    by = Counter((q.get("lang"), q.get("condition")) for q in questions)
    exp_by = Counter((q.get("lang"), q.get("expected")) for q in questions)
    cross = Counter(q.get("lang") for q in questions if q.get("cross_lingual"))
    docs_by = Counter(sources[d]["script"] for d in sources)
    ev_by = Counter(SCRIPTS[sources[sorted(ds)[0]]["script"]] for ds in events.values())

    def table(title, rows, cols, cell, totals=True):
        out = []
        if markdown:
            out.append(f"**{title}**\n")
            out.append("| " + " | ".join([""] + cols + (["total"] if totals else [])) + " |")
            out.append("|" + "---|" * (len(cols) + 1 + totals))
            for r in rows:
                cells = [cell(r, c) for c in cols]
                out.append("| " + " | ".join([r] + [str(x) for x in cells] + ([str(sum(cells))] if totals else [])) + " |")
            tot = [sum(cell(r, c) for r in rows) for c in cols]
            out.append("| " + " | ".join(["total"] + [str(x) for x in tot] + ([str(sum(tot))] if totals else [])) + " |")
        else:
            out.append(title)
            widths = [max(len(c), 3) + 2 for c in cols] + [7]
            extra = ["total"] if totals else []
            out.append(" " * 9 + "".join(c.rjust(wd) for c, wd in zip(cols + extra, widths)))
            for r in rows:
                cells = [cell(r, c) for c in cols]
                row = cells + ([sum(cells)] if totals else [])
                out.append(r.ljust(9) + "".join(str(x).rjust(wd) for x, wd in zip(row, widths)))
            tot = [sum(cell(r, c) for r in rows) for c in cols]
            row = tot + ([sum(tot)] if totals else [])
            out.append("total".ljust(9) + "".join(str(x).rjust(wd) for x, wd in zip(row, widths)))
        return "\n".join(out)

    print(table("Questions by question language x condition", LANGS, CONDITIONS,
                lambda r, c: by[(r, c)]))
    print()
    print(table("Questions by question language x expected verdict", LANGS, EXPECTED,
                lambda r, c: exp_by[(r, c)]))
    print()
    print(table("Corpus", LANGS, ["events", "articles", "cross-lingual Qs"],
                lambda r, c: {"events": ev_by[r],
                              "articles": docs_by[{v: k for k, v in SCRIPTS.items()}[r]],
                              "cross-lingual Qs": cross[r]}[c], totals=False))
    print()
    for w in warnings:
        print("WARNING:", w)
    if errors:
        for e in errors:
            print("ERROR:", e)
        print(f"\nFAILED: {len(errors)} error(s), {len(questions)} questions, {len(sources)} articles")
        return 1
    print(f"OK: {len(questions)} questions, {len(sources)} articles, {len(events)} events")
    return 0


if __name__ == "__main__":
    sys.exit(main())
