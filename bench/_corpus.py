"""Synthetic Chinese news corpora made from the seeds, for bench/scale.py.

Every generated article is a recombination of seed sentences: it takes most of its sentences, in
order, from one seed article (its "theme"), drops some, and splices in sentences from the other
seeds. Names and numbers are perturbed so that articles are not copies of each other: each article
belongs to one of ``UNIVERSES`` "universes", and a universe renames the company, its founders,
investors and cities (the seeds' 智谱/张鹏/腾讯/… become other made-up names) and scales every figure
by its own factors (years shift a little). Within a universe the same seed sentence always reads
the same, so a universe's articles agree with each other the way real coverage of one company
repeats itself, while articles of different universes differ in names and figures. The article's
script (Simplified or Traditional) is drawn per article and applied with OpenCC.

Chunks are then not duplicates: an article's sentence sequence is its own (random drops and
splices), and every 220-character window spans several sentences. ``generate`` reports how many
chunk texts are exact duplicates anyway.

The original five seeds are part of every corpus, so the gold questions keep their answers.
"""

from __future__ import annotations

import json
import os
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

UNIVERSES = 48

# (Simplified, Traditional) spellings of the names the seeds use, by kind.
ENTITIES = {
    "company": [("智谱", "智譜"), ("华章", "華章"), ("MiniMax", "MiniMax"), ("月之暗面", "月之暗面")],
    "person": [("张鹏", "張鵬"), ("唐杰", "唐傑"), ("刘德兵", "劉德兵"), ("吴泳铭", "吳泳銘"), ("姚顺雨", "姚順雨")],
    "investor": [("腾讯", "騰訊"), ("阿里巴巴", "阿里巴巴"), ("阿里", "阿里"), ("美团", "美團"), ("红杉", "紅杉"),
                 ("君联", "君聯"), ("中金公司", "中金公司")],
    "school": [("清华大学", "清華大學"), ("清华", "清華")],
    "city": [("北京", "北京"), ("杭州", "杭州"), ("珠海", "珠海"), ("成都", "成都")],
}
_SYLLABLES = list("星云海川远航天启明灵犀鲸跃卓越博识知行源泉九章万象元阶百零面壁深言澜舟衔循光年紫东悟道书盘古混文火通义豆包")
_SURNAMES = list("王李张刘陈杨黄赵周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢")
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力斌宇浩凯鹏晨欣怡佳琪")
_CITIES = ["上海", "深圳", "广州", "南京", "苏州", "武汉", "西安", "重庆", "天津", "合肥", "厦门", "青岛", "长沙", "郑州", "宁波",
           "无锡", "福州", "济南", "昆明", "大连"]
_SCHOOLS = ["北京大学", "浙江大学", "复旦大学", "上海交通大学", "南京大学", "中国科学技术大学", "哈尔滨工业大学", "武汉大学"]
_INVESTORS = ["高瓴", "启明创投", "经纬", "IDG", "源码资本", "五源", "真格", "蓝驰", "顺为", "光速", "礼来亚洲", "博裕",
              "春华", "鼎晖", "招银国际", "国投创合", "中网投", "深创投", "达晨", "毅达"]

_NUMBER = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?![\d.])")
_SENTENCE_END = "。！？；!?;…”」』"


def _company(rng: random.Random) -> str:
    return rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES) + rng.choice(("", "", "智能", "科技"))


def _person(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


@dataclass
class Universe:
    """One made-up world: who the company is, and how its figures differ from the seeds'."""

    names: list[tuple[str, str, str]]  # (seed spelling, replacement Simplified, replacement Traditional)
    number_seed: int
    scale: float
    year_shift: int


def make_universes(count: int, seed: int, s2t: Callable[[str], str]) -> list[Universe]:
    rng = random.Random(seed)
    universes = []
    for _ in range(count):
        names = []
        pickers = {"company": lambda: _company(rng), "person": lambda: _person(rng),
                   "investor": lambda: rng.choice(_INVESTORS), "school": lambda: rng.choice(_SCHOOLS),
                   "city": lambda: rng.choice(_CITIES)}
        for kind, spellings in ENTITIES.items():
            for simp, trad in spellings:
                new = pickers[kind]()
                names.append((simp, new, s2t(new)))
                if trad != simp:
                    names.append((trad, new, s2t(new)))
        # longest first, so 清华大学 is replaced before 清华
        names.sort(key=lambda n: -len(n[0]))
        universes.append(Universe(names, rng.randrange(1 << 30), rng.uniform(0.4, 2.5), rng.choice((-2, -1, 0, 0, 1))))
    return universes


def _perturb_numbers(text: str, rng: random.Random, scale: float, year_shift: int) -> str:
    def repl(m: re.Match[str]) -> str:
        raw = m.group(1)
        if "." not in raw and len(raw) == 4 and 1990 <= int(raw) <= 2035:
            return str(int(raw) + year_shift)
        value = float(raw) * scale * rng.uniform(0.85, 1.15)
        if "." in raw:
            decimals = len(raw.split(".")[1])
            return f"{value:.{decimals}f}"
        if int(raw) <= 12:  # months, days, small counts: keep them plausible
            return str(max(1, min(12, round(int(raw) * rng.uniform(0.7, 1.3)))))
        return str(max(1, round(value)))

    return _NUMBER.sub(repl, text)


def variant(sentence: str, universe: Universe, key: int) -> str:
    """The sentence as it reads in ``universe`` (deterministic for a given ``key``)."""
    text = sentence
    for old, new_s, new_t in universe.names:
        if old in text:
            text = text.replace(old, new_s)  # the article's script is applied afterwards
    rng = random.Random(universe.number_seed ^ key)
    return _perturb_numbers(text, rng, universe.scale, universe.year_shift)


def _article(rng: random.Random, seeds: list[list[str]], universe: Universe, script: str,
             convert: Callable[[str, str], str], keys: dict[str, int]) -> str:
    theme = rng.randrange(len(seeds))
    body: list[str] = []
    for sentence in seeds[theme]:
        if rng.random() < 0.35:  # drop
            continue
        body.append(sentence)
        if rng.random() < 0.3:  # splice a sentence from another seed
            other = seeds[rng.randrange(len(seeds))]
            body.append(other[rng.randrange(len(other))])
    if len(body) < 8:
        body = seeds[theme][:8]
    lines: list[str] = []
    paragraph: list[str] = []
    for sentence in body:
        text = convert(variant(sentence, universe, keys[sentence]), script)
        if text and text[-1] not in _SENTENCE_END:  # a heading: its own line
            if paragraph:
                lines.append("".join(paragraph))
                paragraph = []
            lines.append(text)
            continue
        paragraph.append(text)
        if len(paragraph) >= rng.randint(2, 6):
            lines.append("".join(paragraph))
            paragraph = []
    if paragraph:
        lines.append("".join(paragraph))
    return "\n".join(lines) + "\n"


def generate(out_dir: Path, sizes: dict[str, int], seed: int = 20260108, log: Callable[[str], None] = print) -> dict:
    """Write ``out_dir/corpus-<label>/`` for every size: the seeds plus generated articles until the
    project's chunker yields at least that many chunks. Larger corpora contain the smaller ones
    (hard links), so one set of embeddings serves all. Returns the description (also written to
    ``out_dir/corpus.json``)."""
    import opencc

    from index.chunks import chunk_documents
    from index.config import SEEDS_DIR
    from index.corpus import load_corpus, read_document

    t2s, s2t = opencc.OpenCC("t2s"), opencc.OpenCC("s2t")

    def convert(text: str, script: str) -> str:
        return s2t.convert(text) if script == "Traditional" else t2s.convert(text)

    documents, _ = load_corpus(SEEDS_DIR)
    chunks, sentences = chunk_documents(documents, 220, 60)
    by_doc: dict[str, list[str]] = {}
    for s in sentences:
        by_doc.setdefault(s.doc_id, []).append(s.text)
    seeds = [by_doc[d.doc_id] for d in documents]
    keys = {s: i for i, s in enumerate(dict.fromkeys(x for doc in seeds for x in doc))}
    universes = make_universes(UNIVERSES, seed, s2t.convert)
    rng = random.Random(seed)

    order = sorted(sizes.items(), key=lambda kv: kv[1])
    largest = order[-1][0]
    big = out_dir / f"corpus-{largest}"
    if big.exists():
        import shutil

        shutil.rmtree(big)
    big.mkdir(parents=True)
    seed_meta = json.loads((SEEDS_DIR / "sources.json").read_text(encoding="utf-8"))
    for p in sorted(SEEDS_DIR.glob("*.txt")):
        (big / p.name).write_bytes(p.read_bytes())
    metadata = dict(seed_meta)
    total = len(chunks)
    boundaries: dict[str, dict] = {}
    names: list[str] = []
    chunk_texts: set[str] = set(c.text for c in chunks)
    duplicates = 0
    i = 0
    pending = list(order)
    while pending:
        label, target = pending[0]
        if total >= target:
            boundaries[label] = {"target": target, "documents": len(names) + len(documents), "chunks": total}
            pending.pop(0)
            continue
        i += 1
        universe = universes[rng.randrange(len(universes))]
        script = "Traditional" if rng.random() < 0.45 else "Simplified"
        text = _article(rng, seeds, universe, script, convert, keys)
        name = f"gen_{i:06d}"
        path = big / f"{name}.txt"
        path.write_text(text, encoding="utf-8")
        year = 2024 + rng.randrange(3)
        metadata[name] = {"script": script, "publisher": f"synthetic ({_company(rng)}日报)",
                          "date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"}
        doc = read_document(path, metadata[name], doc_id=name)
        doc_chunks, _ = chunk_documents([doc], 220, 60)
        for c in doc_chunks:
            if c.text in chunk_texts:
                duplicates += 1
            chunk_texts.add(c.text)
        total += len(doc_chunks)
        names.append(name)
        if i % 500 == 0:
            log(f"  generated {i} articles, {total:,} chunks")
    (big / "sources.json").write_text(json.dumps(metadata, ensure_ascii=False, indent=0), encoding="utf-8")
    for label, info in boundaries.items():
        if label == largest:
            continue
        folder = out_dir / f"corpus-{label}"
        if folder.exists():
            import shutil

            shutil.rmtree(folder)
        folder.mkdir()
        keep = [p.name for p in sorted(SEEDS_DIR.glob("*.txt"))] + [f"{n}.txt" for n in names[: info["documents"] - len(documents)]]
        for fname in keep:
            os.link(big / fname, folder / fname)
        meta = {k: v for k, v in metadata.items() if f"{k}.txt" in set(keep)}
        (folder / "sources.json").write_text(json.dumps(meta, ensure_ascii=False, indent=0), encoding="utf-8")
    description = {"seed": seed, "universes": UNIVERSES, "sizes": boundaries, "duplicate_chunks": duplicates,
                   "articles": len(names), "bytes": sum(p.stat().st_size for p in big.glob("*.txt"))}
    (out_dir / "corpus.json").write_text(json.dumps(description, indent=1), encoding="utf-8")
    return description
