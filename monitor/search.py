"""Full-text search of items, for Chinese: terms in matching form, the database's trigram index.

SQLite answers terms of three or more characters from the FTS5 trigram table `item_fts` and
PostgreSQL from a pg_trgm index (both made by migration 0004); a trigram index cannot answer a
one- or two-character term (网安 has no trigram), so those fall back to a substring scan,
which the caller's time limit bounds.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select

from monitor.models import Item, ItemSearch
from monitor.normalize import for_matching

TRIGRAM = 3
MAX_TERMS = 8  # a query is a few words; more only multiplies the work
_FTS = sa.table("item_fts", sa.column("rowid"), sa.column("item_fts"))


def search_body(item_title: str | None, item_text: str | None, document_title: str | None,
                attachments: Sequence[str] = ()) -> str:
    """The text an item is found by, in matching form (simplified, width-folded). A document's
    attachment texts go with its first item, as routes read them, so a school named only in 附件1
    finds the notice once."""
    return for_matching("\n".join(part for part in (item_title, item_text, document_title, *attachments) if part))


def search_terms(query: str) -> list[str]:
    """The query's whitespace-separated terms in matching form, each at most once."""
    return list(dict.fromkeys(for_matching(query).split()))[:MAX_TERMS]


def _fts_phrase(terms: list[str]) -> str:
    """An FTS5 query that needs every term as a substring (a quoted string is a literal phrase)."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def matching_items(dialect: str, query: str) -> ColumnElement[bool] | None:
    """A condition on Item: every term of `query` occurs in the item's search text (None: no terms)."""
    terms = search_terms(query)
    if not terms:
        return None
    body = col(ItemSearch.body)
    if dialect == "sqlite":
        long_terms = [t for t in terms if len(t) >= TRIGRAM]
        scans = [body.contains(t, autoescape=True) for t in terms if len(t) < TRIGRAM]
        conditions = []
        if long_terms:
            indexed = select(_FTS.c.rowid).where(_FTS.c.item_fts.op("MATCH")(_fts_phrase(long_terms)))
            conditions.append(col(Item.id).in_(indexed))
        if scans:  # correlated: items are walked newest first and the walk stops at the page's end
            conditions.append(select(ItemSearch.item_id).where(ItemSearch.item_id == Item.id, *scans).exists())
        return sa.and_(*conditions)
    # PostgreSQL (and anything else): ILIKE, which pg_trgm's GIN index answers for 3+ characters
    return col(Item.id).in_(select(ItemSearch.item_id).where(*(body.icontains(t, autoescape=True) for t in terms)))
