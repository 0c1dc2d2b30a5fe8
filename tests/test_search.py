"""Full-text search through `query_items`: terms in matching form against the trigram index
(FTS5 on SQLite, pg_trgm on PostgreSQL), a scan for terms too short for trigrams."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from monitor.db import make_engine, session_scope
from monitor.housekeeping import housekeep
from monitor.migrate import upgrade
from monitor.settings import RetentionConfig
from monitor.store import ItemQuery, query_items
from support.db import BACKEND
from support.webdata import T0, fill


def found(engine, words: str) -> list[str]:
    with session_scope(engine) as session:
        return [item.title for item, _doc in query_items(session, ItemQuery(text=words))]


def test_chinese_search_in_either_script(database_url: str) -> None:
    fill(database_url)
    engine = make_engine(database_url)
    assert found(engine, "等级保护测评") == ["網絡安全等級保護測評"]
    assert found(engine, "專項治理") == ["教育App专项治理"]
    assert found(engine, "上線") == ["智慧教育平台上線"]
    assert found(engine, "平台 匯聚课程") == ["智慧教育平台上線"]
    assert found(engine, "1209家") == ["教育App专项治理"]
    assert found(engine, "区块链") == [] and len(found(engine, "   ")) == 11


def test_a_school_named_only_in_an_attachment_finds_the_notice(database_url: str) -> None:
    fill(database_url)
    engine = make_engine(database_url)
    assert found(engine, "北塬学校") == ["教育App专项治理"]  # in 附件1's text only
    assert found(engine, "三合中學") == ["教育App专项治理"]  # and in the other script


def test_items_stored_before_the_migration_are_backfilled(tmp_path) -> None:
    """Upgrading a database that already holds items makes them searchable too."""
    if BACKEND != "sqlite":
        return  # the backfill is the same SQL on both; one backend is enough here
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0002")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO document (source_id, url, title, kind, fetched_at, text, content_hash, meta, "
                          "attachments) VALUES ('s', 'http://127.0.0.1:9/a', '通知', 'article', :t, '', 'h', '{}', '[]')"),
                     {"t": T0})
        conn.execute(text("INSERT INTO item (document_id, seq, title, text, labels, evidence, regions_mentioned, "
                          "figures, doc_titles, redacted, fingerprint, first_seen_at) VALUES (1, 1, '網絡安全檢查', "
                          "'', '[]', '{}', '[]', '[]', '[]', 0, 'f', :t)"), {"t": T0})
    upgrade(url, "0003")  # adds columns to a table whose rows items refer to
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO attachmenttext (document_id, seq, text) VALUES (1, 0, '参检学校：北塬学校')"))
    upgrade(url)
    assert found(engine, "网络安全检查") == ["網絡安全檢查"]
    assert found(engine, "北塬学校") == ["網絡安全檢查"]  # the attachment's text goes with the first item


def test_retention_removes_the_search_text_with_the_item(database_url: str) -> None:
    fill(database_url)
    engine = make_engine(database_url)
    stats = housekeep(engine, RetentionConfig(item_days=1), now=T0 + timedelta(days=3))
    assert stats.items_deleted == 11 and found(engine, "等级保护测评") == []
    with session_scope(engine) as session:
        assert session.exec(text("SELECT count(*) FROM itemsearch")).one()[0] == 0  # type: ignore[call-overload]
