"""Which statements of different sources state the same fact: blocks, links and clusters.

No question says what to look for, so every statement is a candidate. Comparing all pairs is
quadratic; instead statements are blocked twice. By *subject*: a document is compared only with
its nearest documents (:func:`neighbours`: the most alike by their mean passage vectors, at least
``same_event`` alike — two reports of one event). By *measure*: within two such documents, only
statements of one unit family (``money:CNY``, ``count``, ``ratio``...) and the same measure
modifiers are compared, each with the few of the other document whose sentences are closest in
meaning. The work grows with the number of statements times the (bounded) neighbours and partners.

Two statements *link* (:func:`link`) when the alignment's rules would compare them — comparable
units (:func:`retriever.check.comparable`), the same measure, the same period (a statement that
names none may stand with one that does), within ``max_ratio`` of each other — and they are said
alike: the words around their values (as the alignment's ``same_context``) and their sentences'
vectors, or one sentence printed by both with the values at the same place. The words of a
figure whose clause leaves what it speaks of to another clause of its sentence are also looked
for there (:func:`said_elsewhere`). Links are merged,
strongest first, into facts whose every two sources link (complete linkage), one statement per
source.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from index.values import ValueKind

from ..check.align import same_period, skeleton_ratio
from ..check.compare import comparable
from ..check.terms import weighted_overlap
from .statements import Statement


@dataclass(frozen=True)
class AuditPolicy:
    """Thresholds of the audit (set on the seeds and the multi-topic set as a whole, never per item).

    Args:
        neighbours: documents each document is compared with (its most alike).
        partners: within a block, each statement is scored against this many of the other
            document's statements, those whose sentences are closest to its own.
        same_event: documents at least this alike (cosine of their mean passage vectors) may speak
            of the same event (the alignment's ``same_event``).
        words_weight: how much the words around the values count in two statements' likeness;
            the rest is their sentences' cosine.
        link: statements at least this alike link ...
        loose: ... and every two sources of a fact are at least this alike.
        same_sentence: skeletons this alike are one sentence printed twice (the alignment's) ...
        same_meaning: ... looked for only when their sentences' vectors are this alike (a sentence
            with a figure changed stays close to its original; the comparison of skeletons is the
            costly step).
        max_ratio: values further apart than this factor are not taken for one fact (a share of
            84.5% and one of 0.5% speak of different things).
        same_noun: added to the likeness of two counts of the same counted noun (the word right
            after the value: "4万名跑者", "40,000 runners"), which says what is counted.
        same_milestone: added to the likeness of two durations read as the time taken to reach the
            same figure (:func:`same_milestone`); their ratio is not capped by ``max_ratio``.
        elsewhere: two figures' words are also looked for in the other's sentence outside its
            figure's stretch (:func:`said_elsewhere`); False to compare only the words around
            the values.
        exact_documents: up to this many documents, neighbours are found exactly; above, with an
            HNSW graph (near-linear).
    """

    neighbours: int = 12
    partners: int = 4
    same_event: float = 0.6
    words_weight: float = 0.5
    link: float = 0.36
    loose: float = 0.25
    same_sentence: float = 0.85
    same_meaning: float = 0.7
    max_ratio: float = 2.5
    same_noun: float = 0.1
    same_milestone: float = 0.3
    elsewhere: bool = True
    exact_documents: int = 5000


@dataclass
class BlockStats:
    """What the blocking did: document pairs and (document pair, family) blocks compared,
    statement pairs scored, links found."""

    documents: int = 0
    blocks: int = 0
    pairs: int = 0
    links: int = 0


@dataclass
class Fact:
    """Statements of two or more sources that say the same thing (one each), and how alike they
    are (the mean of their pairs' likeness)."""

    members: list[Statement]
    likeness: float = 0.0
    links: list[float] = field(default_factory=list)


def neighbours(directions: np.ndarray, count: int, floor: float, exact_up_to: int = 5000) -> list[tuple[int, int]]:
    """Pairs ``(a, b)``, ``a < b``, of documents among each other's ``count`` most alike, at least
    ``floor`` alike. Exact (blocked matrix products) up to ``exact_up_to`` documents, else an HNSW
    graph (FAISS), whose cost grows near-linearly."""
    n = int(directions.shape[0])
    if n < 2:
        return []
    k = min(count + 1, n)
    vectors = np.ascontiguousarray(directions, dtype=np.float32)
    if n <= exact_up_to:
        ids = np.zeros((n, k), dtype=np.int64)
        sims = np.zeros((n, k), dtype=np.float32)
        for start in range(0, n, 1024):
            block = vectors[start:start + 1024] @ vectors.T
            top = np.argpartition(-block, k - 1, axis=1)[:, :k]
            ids[start:start + 1024] = top
            sims[start:start + 1024] = np.take_along_axis(block, top, axis=1)
    else:
        import faiss

        graph = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = 64
        graph.add(vectors)
        graph.hnsw.efSearch = max(64, 2 * k)
        sims, ids = graph.search(vectors, k)
    pairs = set()
    for a in range(n):
        for b, s in zip(ids[a].tolist(), sims[a].tolist()):
            if b != a and b >= 0 and s >= floor:
                pairs.add((a, b) if a < b else (b, a))
    return sorted(pairs)


def periods_fit(a: Statement, b: Statement) -> bool:
    """The two statements can speak of the same time: the same period, or one names none."""
    pa, pb = a.claim.period, b.claim.period
    return pa is None or pb is None or same_period(pa, pb)


def names_fit(a: Statement, b: Statement) -> bool:
    """Not two statements that each name a numbered thing near their value, but not the same one
    ("XR-4.5 was released in July", "XR-4.6 in September")."""
    return not (a.names and b.names and not a.names & b.names)


def same_milestone(a: Statement, b: Statement) -> bool:
    """Two durations said of reaching the same figure: the same number of the same unit (as
    written, but for a hedge: "超过8万" and "8 萬"), the same measure. A figure merely close is
    not enough (a time to reach 15% and one to reach 15.2% are two facts), nor one of another
    counter (12 districts, 12 counties)."""
    ra, rb = a.reached, b.reached
    if (ra is None or rb is None or ra.modifiers != rb.modifiers or ra.value.kind is not rb.value.kind
            or ra.value.unit != rb.value.unit):
        return False
    x, y = ra.value.number, rb.value.number
    return abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y))


def _near_enough(a: Statement, b: Statement, max_ratio: float) -> bool:
    """Values within ``max_ratio`` of each other (dates: always; signs must agree)."""
    va, vb = a.value, b.value
    if va.kind is ValueKind.DATE or vb.kind is ValueKind.DATE:
        return True
    x = va.number * (100 if va.kind is ValueKind.MULTIPLE else 1)
    y = vb.number * (100 if vb.kind is ValueKind.MULTIPLE else 1)
    if x == y:
        return True
    if x <= 0 or y <= 0:
        return (x < 0) == (y < 0) and x != 0 and y != 0 and abs(math.log(abs(x) / abs(y))) <= math.log(max_ratio)
    return abs(math.log(x / y)) <= math.log(max_ratio)


class Likeness:
    """How alike two statements are: their words around the value and their sentences' vectors,
    or 1.0 for one sentence printed by two sources (values at the same place)."""

    def __init__(self, statements: Sequence[Statement], sentence_vectors: np.ndarray, policy: "AuditPolicy") -> None:
        self.statements = statements
        self.vectors = sentence_vectors
        self.policy = policy
        self._cache: dict[tuple[int, int], float | None] = {}

    def fits(self, a: Statement, b: Statement) -> bool:
        """The rules say the two may be one fact (before asking how alike they are). Two times
        taken to reach a figure fit only when the figures are the same, and then whatever their
        ratio (two months and half a year to pass one figure are one fact told two ways)."""
        if (a.reached is None) != (b.reached is None):
            return False
        if a.reached is not None and not same_milestone(a, b):
            return False
        return (a.doc != b.doc and a.claim.modifiers == b.claim.modifiers and comparable(a, b)  # type: ignore[arg-type]
                and periods_fit(a, b) and (a.reached is not None or _near_enough(a, b, self.policy.max_ratio))
                and names_fit(a, b))

    def __call__(self, i: int, j: int) -> float | None:
        """The likeness of statements ``i`` and ``j``, or None when they cannot be one fact."""
        key = (i, j) if i < j else (j, i)
        if key in self._cache:
            return self._cache[key]
        a, b = self.statements[i], self.statements[j]
        found: float | None = None
        if self.fits(a, b):
            meaning = float(self.vectors[a.claim.sentence_id] @ self.vectors[b.claim.sentence_id])
            printed = (meaning >= self.policy.same_meaning
                       and skeleton_ratio(a.skeleton, b.skeleton) >= self.policy.same_sentence)
            if printed and not same_occasion(a, b):
                found = None
            elif printed and a.place == b.place:
                found = 1.0
            else:
                w = self.policy.words_weight
                words = weighted_overlap(a.context, b.context)
                if self.policy.elsewhere:
                    words = max(words, said_elsewhere(a, b))
                found = w * words + (1 - w) * max(0.0, meaning)
                if a.noun and a.noun == b.noun:
                    found = min(1.0, found + self.policy.same_noun)
                if a.reached is not None:
                    found = min(1.0, found + self.policy.same_milestone)
        self._cache[key] = found
        return found


def found_in(context: dict[str, float], words: frozenset[str]) -> float:
    """The share (by weight) of the words around a value that ``words`` hold."""
    total = sum(context.values())
    if not total:
        return 0.0
    return sum(weight for key, weight in context.items() if key in words) / total


def said_elsewhere(a: Statement, b: Statement) -> float:
    """How far each of two figures is said in the other's sentence outside that one's stretch
    (:attr:`Statement.elsewhere`, :func:`~retriever.audit.statements.words_elsewhere`): the
    smaller of the two shares (by weight) of their words found there. "以甲校重点班招生960人计算，
    今年录取率约为8%" and "甲校重点班的招生比例为13%，录取率为近五年最低" share no word around their
    values, but the first's sentence names the class in the clause before its figure, and the
    second's the admission rate in the clause after. Both ways: a figure whose words the other
    sentence merely mentions, while the other figure's are not in its own, is another fact."""
    if not a.elsewhere or not b.elsewhere:
        return 0.0
    return min(found_in(a.context, b.elsewhere), found_in(b.context, a.elsewhere))


def same_occasion(a: Statement, b: Statement) -> bool:
    """Whether two statements of one sentence printed twice (the same skeleton) can be one fact.
    Not when they stand at different places of it (the sentence's first figure and its second
    are two facts), nor when a date written elsewhere in it differs: "A released its 2024 report
    on March 27" and "A released its 2025 half-year report on August 26" are two occasions of one
    kind of sentence. Another figure changed is one sentence with a figure changed."""
    if len(a.dates) != len(b.dates) or not a.dates:
        return True  # not the same number of values: no places to match
    if a.place != b.place:
        return False
    return all(x == y for k, (x, y) in enumerate(zip(a.dates, b.dates)) if k != a.place)


def find_facts(statements: Sequence[Statement], directions: np.ndarray, sentence_vectors: np.ndarray,
               policy: AuditPolicy = AuditPolicy(), progress: Callable[[int], None] | None = None
               ) -> tuple[list[Fact], BlockStats]:
    """Facts stated by two or more sources, and what the blocking did. ``progress`` is called
    with the number of document pairs done since its last call."""
    stats = BlockStats()
    by_doc: dict[int, dict[tuple[str, frozenset[str]], list[int]]] = {}
    for i, s in enumerate(statements):
        by_doc.setdefault(s.doc, {}).setdefault((s.family, s.claim.modifiers), []).append(i)
    near = [(a, b) for a, b in neighbours(directions, policy.neighbours, policy.same_event, policy.exact_documents)
            if a in by_doc and b in by_doc]
    stats.documents = len(near)
    likeness = Likeness(statements, sentence_vectors, policy)
    edges: dict[tuple[int, int], float] = {}
    for n, (da, db) in enumerate(near, 1):
        left, right = by_doc[da], by_doc[db]
        for key in left.keys() & right.keys():
            stats.blocks += 1
            for i, j in _closest(left[key], right[key], statements, sentence_vectors, policy.partners):
                stats.pairs += 1
                alike = likeness(i, j)
                if alike is not None and alike >= policy.link:
                    edges[(i, j) if i < j else (j, i)] = alike
        if progress is not None and n % 256 == 0:
            progress(256)
    if progress is not None:
        progress(len(near) % 256)
    stats.links = len(edges)
    clusters = _merge(statements, edges, likeness, policy)
    return _without_repeats(facts_of(statements, clusters, likeness)), stats


def _without_repeats(facts: list[Fact]) -> list[Fact]:
    """The facts but those whose values (source and place) another fact holds all of: a duration
    read as itself and as the time to reach a figure can gather the same sources twice."""
    def values(fact: Fact) -> frozenset[tuple[int, int, int]]:
        return frozenset((s.doc, s.value.start, s.value.end) for s in fact.members)

    kept: list[Fact] = []
    holding: dict[tuple[int, int, int], list[frozenset[tuple[int, int, int]]]] = {}
    for fact in sorted(facts, key=lambda f: (-len(f.members), -f.likeness)):
        own = values(fact)
        first = min(own)
        if any(own <= other for other in holding.get(first, ())):
            continue
        kept.append(fact)
        for key in own:
            holding.setdefault(key, []).append(own)
    return kept


def _closest(left: list[int], right: list[int], statements: Sequence[Statement], vectors: np.ndarray,
             partners: int) -> list[tuple[int, int]]:
    """The pairs of a block worth scoring: each statement with the ``partners`` statements of the
    other document whose sentences are closest to its own (all pairs when the block is small), so
    that two long articles cost in proportion to their statements, not to their product."""
    if len(left) <= partners or len(right) <= partners:
        return [(i, j) for i in left for j in right]
    a = vectors[[statements[i].claim.sentence_id for i in left]]
    b = vectors[[statements[j].claim.sentence_id for j in right]]
    sims = a @ b.T
    rows = np.argpartition(-sims, partners - 1, axis=1)[:, :partners]
    cols = np.argpartition(-sims, partners - 1, axis=0)[:partners, :]
    pairs = {(left[x], right[int(y)]) for x in range(len(left)) for y in rows[x]}
    pairs |= {(left[int(x)], right[y]) for y in range(len(right)) for x in cols[:, y]}
    return sorted(pairs)


def _merge(statements: Sequence[Statement], edges: dict[tuple[int, int], float], likeness: Likeness,
           policy: AuditPolicy) -> list[list[int]]:
    """Complete-linkage clusters over the links, strongest first: two clusters merge when no
    source is in both and every two of their statements are at least ``loose`` alike."""
    home = {i: i for pair in edges for i in pair}
    clusters: dict[int, list[int]] = {i: [i] for i in home}
    for (a, b), _ in sorted(edges.items(), key=lambda kv: (-kv[1], kv[0])):
        ca, cb = home[a], home[b]
        if ca == cb:
            continue
        left, right = clusters[ca], clusters[cb]
        if {statements[i].doc for i in left} & {statements[j].doc for j in right}:
            continue
        if not all((likeness(i, j) or 0.0) >= policy.loose for i in left for j in right):
            continue
        if len(left) < len(right):
            ca, cb, left, right = cb, ca, right, left
        left.extend(right)
        for j in right:
            home[j] = ca
        del clusters[cb]
    return [members for members in clusters.values() if len(members) >= 2]


def facts_of(statements: Sequence[Statement], clusters: list[list[int]], likeness: Likeness) -> list[Fact]:
    """The clusters as :class:`Fact` records with their likeness."""
    out = []
    for members in clusters:
        found = [likeness(i, j) or 0.0 for x, i in enumerate(members) for j in members[x + 1:]]
        out.append(Fact([statements[i] for i in members], float(np.mean(found)) if found else 0.0, found))
    return out
