"""The database refuses to change or remove an audit entry, whatever code asks it to.

PostgreSQL: a row trigger refusing UPDATE and DELETE and a statement trigger
refusing TRUNCATE, both through one function. SQLite: BEFORE UPDATE and
BEFORE DELETE triggers (SQLite has no TRUNCATE; its ``DELETE FROM`` without a
WHERE clause fires them too). Each lets a change through only while the
maintenance door is open in the same transaction (``audit/maintenance.py``):
the test flush's door, documented there and in docs/security-audit.md.

The SQL is written out here, not imported, so this migration installs the
same triggers however the code changes later.

On SQLite a later migration that rebuilds this table (Django does for most
field changes there) drops these triggers with the old table; the test
``test_the_append_only_triggers_are_installed`` fails until it recreates them.
"""

from django.db import migrations

POSTGRESQL_INSTALL = [
    """
    CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- The maintenance door: only the test flush and the tamper tests open it.
        IF current_setting('thinkfamily.audit_maintenance', true) = 'on' THEN
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            IF TG_OP = 'UPDATE' THEN RETURN NEW; END IF;
            RETURN NULL;
        END IF;
        RAISE EXCEPTION 'The audit trail is append-only: % of % is refused.', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation',
                  HINT = 'Audit entries are never changed or removed; see docs/security-audit.md.';
    END;
    $$
    """,
    """
    CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()
    """,
    """
    CREATE TRIGGER audit_auditevent_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()
    """,
]
POSTGRESQL_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent",
    "DROP FUNCTION IF EXISTS audit_refuse_change()",
]

SQLITE_INSTALL = [
    "CREATE TABLE audit_maintenance (is_open integer NOT NULL CHECK (is_open IN (0, 1)))",
    "INSERT INTO audit_maintenance (is_open) VALUES (0)",
    """
    CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
    WHEN NOT EXISTS (SELECT 1 FROM audit_maintenance WHERE is_open = 1)
    BEGIN
        SELECT RAISE(ABORT, 'The audit trail is append-only: UPDATE of audit_auditevent is refused.');
    END
    """,
    """
    CREATE TRIGGER audit_auditevent_no_delete BEFORE DELETE ON audit_auditevent
    WHEN NOT EXISTS (SELECT 1 FROM audit_maintenance WHERE is_open = 1)
    BEGIN
        SELECT RAISE(ABORT, 'The audit trail is append-only: DELETE of audit_auditevent is refused.');
    END
    """,
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update",
    "DROP TABLE IF EXISTS audit_maintenance",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0008_request_id_and_access_log_action"),
    ]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL_INSTALL, "sqlite": SQLITE_INSTALL}),
            _run({"postgresql": POSTGRESQL_REMOVE, "sqlite": SQLITE_REMOVE}),
            elidable=False,
        ),
    ]
