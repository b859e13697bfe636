"""Search across the learning: find every review, finding, lesson, recommendation and
briefing that speaks of something ("new partner", "bruising in a non-mobile baby"), and
narrow to reviews with given themes.

Who finds what. Every member of staff with an agency (``VIEW_BRIEFINGS``) searches the
learning the partnership has *published*: the public title and summary of a published
review, its findings, lessons and recommendations marked published, and every briefing
(briefings are written for all staff). The partnership and its review panel
(``VIEW_CASE_REVIEWS``) search the whole register besides: register titles, unpublished
reviews (drafts included) and unpublished findings, lessons and recommendations. A
briefing whose review the viewer may not see is found as the briefing alone, never with
the review's title. The child's pseudonym, the linked person, actions and evidence are
never searched.

How. Words are matched as PostgreSQL's ``websearch_to_tsquery`` reads them: every word
must appear (in any part of the same text), "quoted phrases" as phrases, ``or`` between
alternatives and ``-word`` to exclude; English stemming, so "partners" finds "partner".

- On PostgreSQL, ``django.contrib.postgres.search`` (SearchVector, SearchQuery with
  ``search_type="websearch"``, SearchRank) with the English configuration, over GIN
  expression indexes that migration ``0002_review_search`` creates with exactly the
  expressions the queries use (``_vector`` below; change both together).
- On SQLite (the embedded default), an FTS5 table ``learning_search`` with the Porter
  stemmer, created by the same migration, holds one row per searchable text; its rowid is
  ``id * 8 + source code`` (``_SOURCES``). Triggers on the four tables keep it in step on
  every insert, update and delete, so a review changed after indexing is found by its new
  words at once, whatever wrote the change (a service, a queryset ``update()``, the admin).
  ``search_index_refresh()`` rebuilds it from the tables, for a database whose index was
  lost or was loaded with triggers off; nothing needs to call it in normal running.

Themes are filtered in Python (a review has all the selected themes), since JSON
containment differs between the two databases and the register is small. Snippets are
made in Python from the matching text, escaped, with the matched words marked.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection, transaction
from django.db.models import Model, Q
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from thinkfamily.accounts.backends import VIEW_BRIEFINGS, VIEW_CASE_REVIEWS
from thinkfamily.accounts.models import User
from thinkfamily.learning.models import Briefing, CaseReview, Recommendation, ReviewItem
from thinkfamily.learning.public import IS_PUBLISHED
from thinkfamily.learning.vocabulary import THEMES

__all__ = [
    "FTS_TABLE",
    "MatchedPart",
    "SearchResult",
    "SearchResults",
    "learning_search",
    "search_index_refresh",
]

FTS_TABLE = "learning_search"
_CONFIG = "english"


@dataclass(frozen=True)
class _Source:
    """One kind of searchable text: where it lives and who may find it."""

    code: int
    model: type[Model]
    text_fields: tuple[str, ...]
    review_field: str
    extra_fields: tuple[str, ...]
    #: Who besides the register may find it: None for nobody, else the rows they may.
    public: Q | None


_PUBLISHED_REVIEW = Q(review__published_on__isnull=False) & ~Q(review__status="draft")

#: The searchable texts. Codes are part of the SQLite index's rowids: never renumber them.
_SOURCES: tuple[_Source, ...] = (
    _Source(1, CaseReview, ("title",), "pk", ("reference",), None),
    _Source(2, CaseReview, ("public_title", "public_summary"), "pk", (), IS_PUBLISHED),
    _Source(3, ReviewItem, ("text",), "review_id", ("kind", "position"),
            Q(is_published=True) & _PUBLISHED_REVIEW),
    _Source(4, Recommendation, ("text",), "review_id", ("number",),
            Q(is_published=True) & _PUBLISHED_REVIEW),
    _Source(5, Briefing, ("title", "background", "why_it_matters", "findings", "what_to_do",
                          "questions"), "review_id", (), Q()),
)  # fmt: skip
_BY_CODE = {source.code: source for source in _SOURCES}


@dataclass(frozen=True)
class MatchedPart:
    """Which part of a result matched, with the matching words in context."""

    label: str
    snippet: SafeString
    url: str = ""


@dataclass(frozen=True)
class SearchResult:
    """One review (or a briefing found on its own), with what matched and its themes."""

    title: str
    url: str
    kind_label: str
    theme_labels: list[str]
    parts: list[MatchedPart]
    rank: float
    review_id: int | None = None
    briefing_id: int | None = None
    is_published: bool = False


@dataclass(frozen=True)
class SearchResults:
    """What a search found, best first, and in which scope it looked."""

    query: str
    themes: list[str]
    whole_register: bool
    results: list[SearchResult] = field(default_factory=list)

    @property
    def searched(self) -> bool:
        return bool(self.query.strip() or self.themes)


# ---------------------------------------------------------------------------
# The query language: websearch_to_tsquery's, for SQLite too

#: Words too common to search for (PostgreSQL's English configuration drops them too).
_STOPWORDS = frozenset(
    ("a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is",
     "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there",
     "these", "they", "this", "to", "was", "will", "with")
)  # fmt: skip
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class _Term:
    words: tuple[str, ...]
    negated: bool
    phrase: bool


def _terms(query: str) -> list[_Term | str]:
    """The query as terms and "or" operators, websearch-style."""
    parsed: list[_Term | str] = []
    for match in _TOKEN.finditer(query):
        if match.group(2) is not None:
            words = tuple(w.lower() for w in _WORD.findall(match.group(2)))
            if words:
                parsed.append(_Term(words, bool(match.group(1)), phrase=True))
            continue
        text = match.group(4)
        if text.lower() == "or" and not match.group(3):
            parsed.append("or")
            continue
        words = tuple(w.lower() for w in _WORD.findall(text) if w.lower() not in _STOPWORDS)
        if words:
            parsed.append(_Term(words, bool(match.group(3)), phrase=len(words) > 1))
    return parsed


def _has_words(query: str) -> bool:
    return any(isinstance(t, _Term) and not t.negated for t in _terms(query))


def _fts5_query(query: str) -> str:
    """The query in FTS5's syntax, every word quoted so nothing typed is an operator."""

    def quoted(term: _Term) -> str:
        return '"' + " ".join(term.words) + '"'

    groups: list[list[str]] = []
    negated: list[str] = []
    joining = False
    for term in _terms(query):
        if term == "or":
            joining = bool(groups)
            continue
        assert isinstance(term, _Term)
        if term.negated:
            negated.append(quoted(term))
        elif joining:
            groups[-1].append(quoted(term))
        else:
            groups.append([quoted(term)])
        joining = False
    positive = " AND ".join(
        group[0] if len(group) == 1 else "(" + " OR ".join(group) + ")" for group in groups
    )
    if negated and positive:
        return f"({positive}) NOT ({' OR '.join(negated)})"
    return positive


# ---------------------------------------------------------------------------
# Matching: source code -> {row id: rank}


def _vector(source: _Source) -> SearchVector:
    """The expression the PostgreSQL GIN index of ``source`` is built on (migration 0002)."""
    return SearchVector(*source.text_fields, config=_CONFIG)


def _matches_postgresql(query: str) -> dict[int, dict[int, float]]:
    search_query = SearchQuery(query, search_type="websearch", config=_CONFIG)
    found: dict[int, dict[int, float]] = {}
    for source in _SOURCES:
        rows = (
            source.model._default_manager.order_by()
            .annotate(document=_vector(source))
            .filter(document=search_query)
            .annotate(rank=SearchRank(_vector(source), search_query))
            .values_list("pk", "rank")
        )
        found[source.code] = {pk: float(rank) for pk, rank in rows}
    return found


def _matches_sqlite(query: str) -> dict[int, dict[int, float]]:
    if not _sqlite_index_intact():
        search_index_refresh()
    expression = _fts5_query(query)
    found: dict[int, dict[int, float]] = {source.code: {} for source in _SOURCES}
    if not expression:
        return found
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid, bm25({FTS_TABLE}) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s",
            [expression],
        )
        for rowid, score in cursor.fetchall():
            code, pk = rowid % 8, rowid // 8
            if code in found:
                found[code][pk] = -float(score)  # bm25: lower is better
    return found


def _matches(query: str) -> dict[int, dict[int, float]]:
    if connection.vendor == "postgresql":
        return _matches_postgresql(query)
    return _matches_sqlite(query)


# ---------------------------------------------------------------------------
# Snippets


def _stem(word: str) -> str:
    for suffix in ("ies", "es", "s", "ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _snippet(text: str, query: str, *, around: int = 14) -> SafeString:
    """The words around the first match, escaped, with matching words marked."""
    stems = {
        _stem(word)
        for term in _terms(query)
        if isinstance(term, _Term) and not term.negated
        for word in term.words
    }
    words = text.split()
    if not words:
        return mark_safe("")
    pattern = (
        re.compile(r"^\W*(?:" + "|".join(re.escape(s) for s in sorted(stems)) + r")", re.I)
        if stems
        else None
    )
    hits = [i for i, word in enumerate(words) if pattern and pattern.match(word)]
    first = hits[0] if hits else 0
    start, end = max(0, first - around // 2), min(len(words), first + around + around // 2)
    shown = []
    for i in range(start, end):
        word = escape(words[i])
        shown.append(f"<mark>{word}</mark>" if i in hits else word)
    return mark_safe(  # every word is escaped above
        ("… " if start else "") + " ".join(shown) + (" …" if end < len(words) else "")
    )


# ---------------------------------------------------------------------------
# The search


def _label(source: _Source, row: dict[str, object]) -> str:
    if source.code == 1:
        return "Title on the register"
    if source.code == 2:
        return "Published title and summary"
    if source.code == 3:
        kind = "Key finding" if row["kind"] == ReviewItem.Kind.FINDING else "Lesson learnt"
        return f"{kind} {row['position']}"
    if source.code == 4:
        return f"Recommendation {row['number']}"
    return f"Briefing: {row['title']}"


def learning_search(
    *,
    viewer: User,
    query: str,
    themes: Sequence[str] = (),
    today: dt.date | None = None,
) -> SearchResults:
    """Search the learning ``viewer`` may find for ``query`` and ``themes`` (theme keys; a
    review must have them all). With themes and no words, every such review.

    Results are ranked (the sum of the matching parts' ranks), each a review with the parts
    that matched, or a briefing on its own where its review is not the viewer's to see.
    Unknown themes are ignored. Nothing for a viewer who may not search.
    """
    whole_register = viewer.has_perm(VIEW_CASE_REVIEWS)
    chosen = [key for key in THEMES if key in set(themes)]
    results = SearchResults(query=query.strip(), themes=chosen, whole_register=whole_register)
    if not viewer.has_perm(VIEW_BRIEFINGS) or not results.searched:
        return results
    has_words = _has_words(query)
    if not has_words and not chosen:
        return results

    parts: dict[int, list[tuple[float, MatchedPart]]] = defaultdict(list)
    briefings_alone: list[tuple[float, dict[str, object]]] = []
    if has_words:
        for code, ranks in _matches(query).items():
            if not ranks:
                continue
            source = _BY_CODE[code]
            if not whole_register and source.public is None:
                continue
            rows = source.model._default_manager.filter(pk__in=list(ranks))
            if not whole_register:
                rows = rows.filter(source.public)
            for row in rows.values(
                "pk", *{source.review_field, *source.text_fields, *source.extra_fields}
            ):
                text = "\n".join(str(row[name] or "") for name in source.text_fields)
                if code == 5:
                    text = "\n".join(str(row[name] or "") for name in source.text_fields[1:])
                review_id = row[source.review_field]
                rank = ranks[row["pk"]]
                part = MatchedPart(
                    label=_label(source, row),
                    snippet=_snippet(text, query),
                    url=reverse("learning:briefing", args=[row["pk"]]) if code == 5 else "",
                )
                if review_id is None:
                    briefings_alone.append((rank, row))
                else:
                    parts[int(str(review_id))].append((rank, part))
                    if code == 5:
                        # Kept in case its review is not the viewer's to see (below).
                        briefings_alone.append((rank, row | {"_review": review_id}))

    reviews = CaseReview.objects.filter(Q() if whole_register else IS_PUBLISHED)
    if has_words:
        reviews = reviews.filter(pk__in=list(parts))
    review_rows = {
        row["pk"]: row
        for row in reviews.values(
            "pk", "kind", "themes", "published_on", "status", "public_title",
            *(("reference", "title") if whole_register else ()),
        )
    }  # fmt: skip
    kinds = dict(CaseReview.Kind.choices)
    found: list[SearchResult] = []
    for review_id, row in review_rows.items():
        review_themes = row["themes"] or []
        if not set(chosen) <= set(review_themes):
            continue
        matched = sorted(parts.get(review_id, []), key=lambda pair: -pair[0])
        published = row["published_on"] is not None and row["status"] != "draft"
        if whole_register:
            title = f"{row['reference']}: {row['title']}"
            url = reverse("learning:review", args=[review_id])
        else:
            title = row["public_title"]
            url = reverse("learning:public_review", args=[review_id])
        found.append(
            SearchResult(
                title=title,
                url=url,
                kind_label=str(kinds.get(row["kind"], row["kind"])),
                theme_labels=[THEMES[key].label for key in review_themes if key in THEMES],
                parts=[part for _, part in matched],
                rank=sum(rank for rank, _ in matched),
                review_id=review_id,
                is_published=published,
            )
        )
    if not chosen:
        for rank, row in briefings_alone:
            if row.get("_review") is not None and row["_review"] in review_rows:
                continue  # found with its review
            found.append(
                SearchResult(
                    title=str(row["title"]),
                    url=reverse("learning:briefing", args=[row["pk"]]),
                    kind_label="7-minute briefing",
                    theme_labels=[],
                    parts=[
                        MatchedPart(
                            label="Briefing",
                            snippet=_snippet(
                                "\n".join(str(row[n] or "") for n in _BY_CODE[5].text_fields[1:]),
                                query,
                            ),
                            url=reverse("learning:briefing", args=[row["pk"]]),
                        )
                    ],
                    rank=rank,
                    briefing_id=int(str(row["pk"])),
                )
            )
    found.sort(key=lambda result: (-result.rank, result.title.lower()))
    return SearchResults(
        query=results.query, themes=chosen, whole_register=whole_register, results=found
    )


# ---------------------------------------------------------------------------
# The SQLite index

_BRIEFING_COLUMNS = _BY_CODE[5].text_fields
#: (table, [(source code, the SQL of its text from the row named {row})]), as migration 0002.
_SQLITE_SOURCES: tuple[tuple[str, tuple[tuple[int, str], ...]], ...] = (
    ("learning_casereview", ((1, "{row}.title"),
                             (2, "{row}.public_title || ' ' || {row}.public_summary"))),
    ("learning_reviewitem", ((3, "{row}.text"),)),
    ("learning_recommendation", ((4, "{row}.text"),)),
    ("learning_briefing", ((5, " || ' ' || ".join("{row}." + c for c in _BRIEFING_COLUMNS)),)),
)  # fmt: skip
_TRIGGERS = tuple(
    f"{table}_search_{event}"
    for table, _ in _SQLITE_SOURCES
    for event in ("insert", "update", "delete")
)


def _sqlite_triggers() -> list[str]:
    statements = []
    for table, texts in _SQLITE_SOURCES:
        inserts = "".join(
            f"INSERT INTO {FTS_TABLE}(rowid, body) "
            f"VALUES (new.id * 8 + {code}, {text.format(row='new')}); "
            for code, text in texts
        )
        deletes = "".join(
            f"DELETE FROM {FTS_TABLE} WHERE rowid = old.id * 8 + {code}; " for code, _ in texts
        )
        bodies = (("insert", inserts), ("update", deletes + inserts), ("delete", deletes))
        for event, body in bodies:
            statements += [
                f"DROP TRIGGER IF EXISTS {table}_search_{event}",
                f"CREATE TRIGGER {table}_search_{event} AFTER {event.upper()} ON {table} "
                f"BEGIN {body}END",
            ]
    return statements


def search_index_refresh() -> None:
    """Rebuild SQLite's search index and its triggers from the tables (nothing to do on
    PostgreSQL, whose indexes are on the tables themselves).

    The triggers keep the index in step with every change. A later migration that
    rebuilds one of the tables on SQLite (as Django does to alter a column) drops that
    table's triggers with it; ``learning_search`` notices and calls this, so the index
    is never silently stale.
    """
    if connection.vendor != "sqlite":
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
            "body, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        for statement in _sqlite_triggers():
            cursor.execute(statement)
        cursor.execute(f"DELETE FROM {FTS_TABLE}")
        for table, texts in _SQLITE_SOURCES:
            for code, text in texts:
                cursor.execute(
                    f"INSERT INTO {FTS_TABLE}(rowid, body) "
                    f"SELECT id * 8 + {code}, {text.format(row=table)} FROM {table}"
                )


def _sqlite_index_intact() -> bool:
    names = ", ".join(["%s"] * len(_TRIGGERS))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN ({names})",
            list(_TRIGGERS),
        )
        (count,) = cursor.fetchone()
    return bool(count == len(_TRIGGERS))
