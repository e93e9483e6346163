//! The SQLite store's schema: its versions, the migration steps that reach them, and
//! the check that a file is a custodian store this build can open.
//!
//! Longer than most files here, on purpose: it is the SQL history of every file this
//! store ever wrote. A step, once released, is never edited (a file that ran it must
//! reach the same schema as one that runs it now), so steps repeat trigger SQL rather
//! than share it, and each new version appends one step. `open` reads the steps in order too: it derives
//! the tables a file of each version must have from them.

use rusqlite::Connection;

use crate::store::StoreError;

/// Schema version this build writes (`PRAGMA user_version`).
pub(super) const SCHEMA_VERSION: i64 = 15;

/// `PRAGMA application_id` of a custodian store: "Cstd" in ASCII. Set when the file is
/// created; a file with another id (or none, and tables that are not custodian's) is
/// refused rather than written into.
pub(super) const APPLICATION_ID: i32 = 0x4373_7464;

const SCHEMA_V1: &str = r#"
CREATE TABLE consent_events (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    subject        TEXT    NOT NULL,
    purpose        TEXT    NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('given', 'withdrawn')),
    at_us          INTEGER NOT NULL,
    channel        TEXT    NOT NULL,
    notice_id      TEXT,
    notice_version INTEGER,
    notice_sha256  BLOB,
    method         TEXT,
    expires_us     INTEGER,
    actor_kind     TEXT,
    actor_id       TEXT,
    actor_role     TEXT
);
CREATE INDEX consent_events_by_subject ON consent_events (subject, purpose, seq);
CREATE TRIGGER consent_events_append_only_update BEFORE UPDATE ON consent_events
BEGIN SELECT RAISE(ABORT, 'consent evidence is append-only'); END;
CREATE TRIGGER consent_events_append_only_delete BEFORE DELETE ON consent_events
BEGIN SELECT RAISE(ABORT, 'consent evidence is append-only'); END;
CREATE TABLE notice_floors (
    purpose TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);
"#;

/// Version 2: wrapped subject keys and shredded-subject tombstones.
const SCHEMA_V2: &str = r#"
CREATE TABLE subject_keys (
    subject    TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    master_id  TEXT    NOT NULL,
    wrapped    BLOB    NOT NULL,
    created_us INTEGER NOT NULL,
    PRIMARY KEY (subject, version)
);
CREATE INDEX subject_keys_by_master ON subject_keys (master_id);
CREATE TABLE shredded_subjects (
    subject_hash BLOB    PRIMARY KEY,
    shredded_us  INTEGER NOT NULL
);
"#;

/// Version 3: retention-epoch keys, escrowed epoch shares and vault secrets; the sweep
/// watermark; legal holds.
const SCHEMA_V3: &str = r#"
CREATE TABLE named_keys (
    kind      TEXT    NOT NULL CHECK (kind IN ('epoch', 'escrow', 'secret', 'pseudonym')),
    name      TEXT    NOT NULL,
    number    INTEGER NOT NULL,
    master_id TEXT    NOT NULL,
    wrapped   BLOB    NOT NULL,
    PRIMARY KEY (kind, name, number)
);
CREATE INDEX named_keys_by_master ON named_keys (master_id);
CREATE TABLE sweep_state (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    swept_before INTEGER NOT NULL
);
INSERT INTO sweep_state (id, swept_before) VALUES (1, 0);
CREATE TABLE legal_holds (
    id          TEXT    PRIMARY KEY,
    subject     TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    placed_us   INTEGER NOT NULL,
    until_us    INTEGER,
    released_us INTEGER
);
CREATE INDEX legal_holds_by_subject ON legal_holds (subject);
"#;

/// Version 4: the audit trail. Rows are read in `pos` order; `seq` and `hash` form the
/// chain over `event` (the canonical bytes), so a row moved, dropped or renumbered
/// shows in `verify`; the other columns index queries.
const SCHEMA_V4: &str = r#"
CREATE TABLE audit_log (
    pos     INTEGER PRIMARY KEY,
    seq     INTEGER NOT NULL,
    event   BLOB    NOT NULL,
    hash    BLOB    NOT NULL,
    at_us   INTEGER,
    subject TEXT,
    actor   TEXT,
    purpose TEXT
);
CREATE INDEX audit_log_by_subject ON audit_log (subject, seq);
CREATE INDEX audit_log_by_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_by_purpose ON audit_log (purpose, seq);
CREATE INDEX audit_log_by_time ON audit_log (at_us);
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
"#;

/// Version 6: tombstones are keyed (the subject's `SubjectRef`, an HMAC under a vault
/// secret), so the unkeyed hashes of earlier versions are dropped (written only by
/// unreleased builds); a hold of an erased subject keeps their reference instead of
/// the id (`subject` is then empty).
const SCHEMA_V6: &str = r#"
DELETE FROM shredded_subjects;
ALTER TABLE legal_holds ADD COLUMN erased_ref TEXT;
"#;

/// Version 8: tamper-evident consent evidence. Every consent event carries its link
/// (`mac`) in the keyed chain (`consent/chain.rs`); an insert must come at the end of
/// the chain with a link, which also stops `REPLACE INTO` (its implicit delete fires no
/// DELETE trigger unless `recursive_triggers` is on, but this INSERT trigger fires).
/// The only update allowed gives a row written before version 8 its link, once
/// (`ConsentLedger::link_unlinked_evidence`). Notice floors move to a chained,
/// append-only log; the old table is frozen.
const SCHEMA_V8: &str = r#"
ALTER TABLE consent_events ADD COLUMN mac BLOB;
DROP TRIGGER consent_events_append_only_update;
CREATE TRIGGER consent_events_append_only_update BEFORE UPDATE ON consent_events
WHEN NOT (OLD.mac IS NULL AND length(NEW.mac) = 32 AND NEW.seq = OLD.seq
  AND NEW.subject IS OLD.subject AND NEW.purpose IS OLD.purpose AND NEW.kind IS OLD.kind
  AND NEW.at_us IS OLD.at_us AND NEW.channel IS OLD.channel
  AND NEW.notice_id IS OLD.notice_id AND NEW.notice_version IS OLD.notice_version
  AND NEW.notice_sha256 IS OLD.notice_sha256 AND NEW.method IS OLD.method
  AND NEW.expires_us IS OLD.expires_us AND NEW.actor_kind IS OLD.actor_kind
  AND NEW.actor_id IS OLD.actor_id AND NEW.actor_role IS OLD.actor_role)
BEGIN SELECT RAISE(ABORT, 'consent evidence is append-only'); END;
CREATE TRIGGER consent_events_append_at_end BEFORE INSERT ON consent_events
WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM consent_events)
  OR NEW.mac IS NULL OR length(NEW.mac) != 32
BEGIN SELECT RAISE(ABORT, 'consent evidence is appended at the end of its chain, with its link'); END;
CREATE TABLE notice_floor_log (
    seq     INTEGER PRIMARY KEY,
    purpose TEXT    NOT NULL,
    version INTEGER NOT NULL,
    mac     BLOB    NOT NULL
);
CREATE INDEX notice_floor_log_by_purpose ON notice_floor_log (purpose);
CREATE TRIGGER notice_floor_log_append_only_update BEFORE UPDATE ON notice_floor_log
BEGIN SELECT RAISE(ABORT, 'notice floors only rise'); END;
CREATE TRIGGER notice_floor_log_append_only_delete BEFORE DELETE ON notice_floor_log
BEGIN SELECT RAISE(ABORT, 'notice floors only rise'); END;
CREATE TRIGGER notice_floor_log_append_at_end BEFORE INSERT ON notice_floor_log
WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM notice_floor_log)
  OR length(NEW.mac) != 32
  OR NEW.version <= (SELECT coalesce(max(version), 0) FROM notice_floor_log WHERE purpose = NEW.purpose)
BEGIN SELECT RAISE(ABORT, 'notice floors only rise, appended at the end of their chain'); END;
CREATE TRIGGER notice_floors_frozen_insert BEFORE INSERT ON notice_floors
BEGIN SELECT RAISE(ABORT, 'notice floors are kept in notice_floor_log since schema 8'); END;
CREATE TRIGGER notice_floors_frozen_update BEFORE UPDATE ON notice_floors
BEGIN SELECT RAISE(ABORT, 'notice floors are kept in notice_floor_log since schema 8'); END;
CREATE TRIGGER notice_floors_frozen_delete BEFORE DELETE ON notice_floors
BEGIN SELECT RAISE(ABORT, 'notice floors are kept in notice_floor_log since schema 8'); END;
"#;

/// Version 7: one audit chain per file, whoever appends. Appends from several
/// processes chain onto the stored head inside their transaction; a unique `seq`
/// makes a second entry at a position fail instead of forking the chain.
const SCHEMA_V7: &str = r#"
CREATE UNIQUE INDEX audit_log_by_seq ON audit_log (seq);
"#;

/// Version 9: a legal hold's scope (GDPR Art. 18(2)): the purposes that may use the
/// held data past its retention and the categories kept, each a JSON array of names.
/// Holds stored before have neither: they keep data but open it for no purpose.
const SCHEMA_V9: &str = r#"
ALTER TABLE legal_holds ADD COLUMN scope_purposes TEXT;
ALTER TABLE legal_holds ADD COLUMN scope_categories TEXT;
"#;

/// Version 10: the law's consent evidence (issue 14). Consent events gain the evidence
/// fields (recorded time and actor, explicit, parental and contact references, form
/// reference), two kinds (`confirmed`, `erased`; the table is rebuilt, as SQLite cannot
/// change a CHECK constraint), and the columns of an erasure (the subject's keyed
/// reference, the kept evidence, its digest and retention). An erasure removes the
/// subject's events, whose links move to `consent_removed`: a DELETE is allowed only
/// for a row listed there with its link, a listing only right after its erasure. The
/// only other UPDATE empties an erasure's kept evidence (the purge after its
/// retention). Notice texts get a chained, append-only registry; floors gain the
/// notice they apply to.
const SCHEMA_V10: &str = r#"
DROP TRIGGER consent_events_append_only_update;
DROP TRIGGER consent_events_append_only_delete;
DROP TRIGGER consent_events_append_at_end;
CREATE TABLE consent_events_v10 (
    seq            INTEGER PRIMARY KEY,
    subject        TEXT,
    purpose        TEXT    NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('given', 'withdrawn', 'confirmed', 'erased')),
    at_us          INTEGER NOT NULL,
    channel        TEXT,
    notice_id      TEXT,
    notice_version INTEGER,
    notice_sha256  BLOB,
    method         TEXT,
    expires_us     INTEGER,
    actor_kind     TEXT,
    actor_id       TEXT,
    actor_role     TEXT,
    mac            BLOB,
    recorded_us    INTEGER,
    explicit       INTEGER,
    parental_ref   BLOB,
    contact_ref    BLOB,
    form_ref       TEXT,
    subject_ref    BLOB,
    keep_until_us  INTEGER,
    kept_sha256    BLOB,
    kept           BLOB,
    CHECK ((kind = 'erased') = (subject IS NULL))
);
INSERT INTO consent_events_v10 (seq, subject, purpose, kind, at_us, channel, notice_id,
    notice_version, notice_sha256, method, expires_us, actor_kind, actor_id, actor_role, mac)
SELECT seq, subject, purpose, kind, at_us, channel, notice_id, notice_version,
    notice_sha256, method, expires_us, actor_kind, actor_id, actor_role, mac
FROM consent_events;
DROP TABLE consent_events;
ALTER TABLE consent_events_v10 RENAME TO consent_events;
CREATE INDEX consent_events_by_subject ON consent_events (subject, purpose, seq);
CREATE UNIQUE INDEX consent_events_erasures ON consent_events (subject_ref) WHERE kind = 'erased';
CREATE TABLE consent_removed (
    seq        INTEGER PRIMARY KEY,
    mac        BLOB    NOT NULL,
    erased_seq INTEGER NOT NULL
);
CREATE INDEX consent_removed_by_erasure ON consent_removed (erased_seq);
CREATE TRIGGER consent_removed_append_only_update BEFORE UPDATE ON consent_removed
BEGIN SELECT RAISE(ABORT, 'removed consent links are append-only'); END;
CREATE TRIGGER consent_removed_append_only_delete BEFORE DELETE ON consent_removed
BEGIN SELECT RAISE(ABORT, 'removed consent links are append-only'); END;
CREATE TRIGGER consent_removed_only_by_last_erasure BEFORE INSERT ON consent_removed
WHEN NEW.erased_seq IS NOT (SELECT max(seq) FROM consent_events)
  OR (SELECT kind FROM consent_events WHERE seq = NEW.erased_seq) IS NOT 'erased'
  OR NEW.mac IS NOT (SELECT mac FROM consent_events WHERE seq = NEW.seq)
BEGIN SELECT RAISE(ABORT, 'consent events are removed only by the erasure just appended'); END;
CREATE TRIGGER consent_events_append_only_update BEFORE UPDATE ON consent_events
WHEN NOT (NEW.seq = OLD.seq
  AND NEW.subject IS OLD.subject AND NEW.purpose IS OLD.purpose AND NEW.kind IS OLD.kind
  AND NEW.at_us IS OLD.at_us AND NEW.channel IS OLD.channel
  AND NEW.notice_id IS OLD.notice_id AND NEW.notice_version IS OLD.notice_version
  AND NEW.notice_sha256 IS OLD.notice_sha256 AND NEW.method IS OLD.method
  AND NEW.expires_us IS OLD.expires_us AND NEW.actor_kind IS OLD.actor_kind
  AND NEW.actor_id IS OLD.actor_id AND NEW.actor_role IS OLD.actor_role
  AND NEW.recorded_us IS OLD.recorded_us AND NEW.explicit IS OLD.explicit
  AND NEW.parental_ref IS OLD.parental_ref AND NEW.contact_ref IS OLD.contact_ref
  AND NEW.form_ref IS OLD.form_ref AND NEW.subject_ref IS OLD.subject_ref
  AND NEW.keep_until_us IS OLD.keep_until_us AND NEW.kept_sha256 IS OLD.kept_sha256
  AND ((OLD.mac IS NULL AND length(NEW.mac) = 32 AND NEW.kept IS OLD.kept)
    OR (OLD.kind = 'erased' AND NEW.mac IS OLD.mac AND NEW.kept IS NULL)))
BEGIN SELECT RAISE(ABORT, 'consent evidence is append-only'); END;
CREATE TRIGGER consent_events_removed_only_at_erasure BEFORE DELETE ON consent_events
WHEN NOT EXISTS (SELECT 1 FROM consent_removed r WHERE r.seq = OLD.seq AND r.mac IS OLD.mac)
BEGIN SELECT RAISE(ABORT, 'consent evidence is removed only by an erasure'); END;
CREATE TRIGGER consent_events_append_at_end BEFORE INSERT ON consent_events
WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM consent_events)
  OR NEW.mac IS NULL OR length(NEW.mac) != 32
BEGIN SELECT RAISE(ABORT, 'consent evidence is appended at the end of its chain, with its link'); END;
ALTER TABLE notice_floor_log ADD COLUMN notice_id TEXT;
DROP TRIGGER notice_floor_log_append_at_end;
CREATE TRIGGER notice_floor_log_append_at_end BEFORE INSERT ON notice_floor_log
WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM notice_floor_log)
  OR length(NEW.mac) != 32
  OR NEW.version <= (SELECT coalesce(max(version), 0) FROM notice_floor_log
                     WHERE purpose = NEW.purpose AND notice_id IS NEW.notice_id)
BEGIN SELECT RAISE(ABORT, 'notice floors only rise, appended at the end of their chain'); END;
CREATE TABLE consent_notices (
    seq           INTEGER PRIMARY KEY,
    purpose       TEXT    NOT NULL,
    notice_id     TEXT    NOT NULL,
    version       INTEGER NOT NULL,
    sha256        BLOB    NOT NULL,
    text          TEXT    NOT NULL,
    registered_us INTEGER NOT NULL,
    mac           BLOB    NOT NULL,
    UNIQUE (purpose, notice_id, version)
);
CREATE TRIGGER consent_notices_append_only_update BEFORE UPDATE ON consent_notices
BEGIN SELECT RAISE(ABORT, 'registered notices are append-only'); END;
CREATE TRIGGER consent_notices_append_only_delete BEFORE DELETE ON consent_notices
BEGIN SELECT RAISE(ABORT, 'registered notices are append-only'); END;
CREATE TRIGGER consent_notices_append_at_end BEFORE INSERT ON consent_notices
WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM consent_notices)
  OR length(NEW.mac) != 32
BEGIN SELECT RAISE(ABORT, 'registered notices are appended at the end of their chain'); END;
"#;

/// Version 11: tamper-evident legal holds and tombstones (`integrity.rs`). Each row
/// carries a keyed MAC (`mac`) under the vault's `retention-integrity` secret, and
/// `retention_head` the MAC'd counts of holds, releases, erasures and tombstones; the
/// head is created here without a MAC and adopts the rows present (MACs them) at the
/// first keyed use. Triggers keep both tables append-only: no DELETE; a hold row is
/// updated only by its release (`released_us` from NULL to a time), by the erasure of
/// its subject (`subject` to '' and `erased_ref` from NULL), or by its first MAC; a
/// tombstone only by its first MAC. `REPLACE` deletes without firing DELETE triggers
/// (unless `recursive_triggers`), so the INSERT triggers refuse a row whose key exists.
const SCHEMA_V11: &str = r#"
ALTER TABLE legal_holds ADD COLUMN mac BLOB;
ALTER TABLE shredded_subjects ADD COLUMN mac BLOB;
CREATE TABLE retention_head (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    holds      INTEGER NOT NULL,
    released   INTEGER NOT NULL,
    erased     INTEGER NOT NULL,
    tombstones INTEGER NOT NULL,
    mac        BLOB
);
INSERT INTO retention_head (id, holds, released, erased, tombstones, mac)
SELECT 1, (SELECT count(*) FROM legal_holds), (SELECT count(released_us) FROM legal_holds),
       (SELECT count(erased_ref) FROM legal_holds), (SELECT count(*) FROM shredded_subjects),
       NULL;
CREATE TRIGGER retention_head_single BEFORE INSERT ON retention_head
BEGIN SELECT RAISE(ABORT, 'the retention head is one row'); END;
CREATE TRIGGER retention_head_kept BEFORE DELETE ON retention_head
BEGIN SELECT RAISE(ABORT, 'the retention head is kept'); END;
CREATE TRIGGER retention_head_rises BEFORE UPDATE ON retention_head
WHEN NEW.id IS NOT OLD.id OR length(NEW.mac) IS NOT 32
  OR NEW.holds < OLD.holds OR NEW.released < OLD.released
  OR NEW.erased < OLD.erased OR NEW.tombstones < OLD.tombstones
BEGIN SELECT RAISE(ABORT, 'retention counts only rise, with their MAC'); END;
CREATE TRIGGER legal_holds_kept BEFORE DELETE ON legal_holds
BEGIN SELECT RAISE(ABORT, 'legal holds are kept: release a hold instead'); END;
CREATE TRIGGER legal_holds_insert_new BEFORE INSERT ON legal_holds
WHEN length(NEW.mac) IS NOT 32 OR NEW.released_us IS NOT NULL OR NEW.erased_ref IS NOT NULL
  OR EXISTS (SELECT 1 FROM legal_holds WHERE id = NEW.id OR rowid = NEW.rowid)
BEGIN SELECT RAISE(ABORT, 'a legal hold is placed once, with its MAC, and never replaced'); END;
CREATE TRIGGER legal_holds_update BEFORE UPDATE ON legal_holds
WHEN NOT (NEW.rowid = OLD.rowid AND NEW.id IS OLD.id AND NEW.reason IS OLD.reason
  AND NEW.placed_us IS OLD.placed_us AND NEW.until_us IS OLD.until_us
  AND NEW.scope_purposes IS OLD.scope_purposes AND NEW.scope_categories IS OLD.scope_categories
  AND length(NEW.mac) = 32
  AND ((OLD.released_us IS NULL AND NEW.released_us IS NOT NULL
        AND NEW.subject IS OLD.subject AND NEW.erased_ref IS OLD.erased_ref)
    OR (OLD.erased_ref IS NULL AND NEW.erased_ref IS NOT NULL AND NEW.subject = ''
        AND NEW.released_us IS OLD.released_us)
    OR (OLD.mac IS NULL AND NEW.subject IS OLD.subject AND NEW.erased_ref IS OLD.erased_ref
        AND NEW.released_us IS OLD.released_us)))
BEGIN SELECT RAISE(ABORT, 'a legal hold is only released or has its subject erased'); END;
CREATE TRIGGER shredded_subjects_kept BEFORE DELETE ON shredded_subjects
BEGIN SELECT RAISE(ABORT, 'tombstones are kept'); END;
CREATE TRIGGER shredded_subjects_insert_new BEFORE INSERT ON shredded_subjects
WHEN length(NEW.mac) IS NOT 32
  OR EXISTS (SELECT 1 FROM shredded_subjects WHERE subject_hash = NEW.subject_hash OR rowid = NEW.rowid)
BEGIN SELECT RAISE(ABORT, 'a tombstone is written once, with its MAC, and never replaced'); END;
CREATE TRIGGER shredded_subjects_update BEFORE UPDATE ON shredded_subjects
WHEN NOT (OLD.mac IS NULL AND length(NEW.mac) = 32 AND NEW.rowid = OLD.rowid
  AND NEW.subject_hash IS OLD.subject_hash AND NEW.shredded_us IS OLD.shredded_us)
BEGIN SELECT RAISE(ABORT, 'tombstones are kept as written'); END;
"#;

/// Version 12: a consent records the declaration of its purpose it was given to
/// (`scope`, JSON of `PurposeScope`, covered by the event's link), so a widened purpose
/// does not inherit it. The column is never updated.
const SCHEMA_V12: &str = r#"
ALTER TABLE consent_events ADD COLUMN scope TEXT;
CREATE TRIGGER consent_events_scope_kept BEFORE UPDATE OF scope ON consent_events
WHEN NEW.scope IS NOT OLD.scope
BEGIN SELECT RAISE(ABORT, 'consent evidence is append-only'); END;
"#;

/// Version 14: the kept category keys of erasure exceptions (`exceptions.rs`): one
/// row per erased subject, key version and excepted category, until the exception
/// ends and a sweep deletes it. The wrapped key's associated data binds every column
/// but `master_id`, so an edited purpose, law or date makes it fail to unwrap. And the
/// erasures requested under a legal hold, queued until a sweep after the hold ends
/// (`queued_erasures`, exceptions as JSON).
const SCHEMA_V14: &str = r#"
CREATE TABLE erasure_exceptions (
    subject   TEXT    NOT NULL,
    version   INTEGER NOT NULL,
    category  TEXT    NOT NULL,
    purpose   TEXT    NOT NULL,
    law       TEXT    NOT NULL,
    until_us  INTEGER NOT NULL,
    master_id TEXT    NOT NULL,
    wrapped   BLOB    NOT NULL,
    PRIMARY KEY (subject, version, category)
);
CREATE INDEX erasure_exceptions_by_until ON erasure_exceptions (until_us);
CREATE TABLE queued_erasures (
    subject      TEXT    PRIMARY KEY,
    requested_us INTEGER NOT NULL,
    exceptions   TEXT    NOT NULL,
    mac          BLOB    NOT NULL
);
"#;

/// Version 15: retention periods from an event (`anchors.rs`). `named_keys` gains the
/// kind `anchor` (a subject's anchor key: `name` the subject, `number` the header
/// code), which its CHECK constraint needs the table rebuilt for, and `due_us`: when
/// an anchor key falls due by the events recorded (NULL before any), an index the
/// sweep selects candidates by, each then checked against the authenticated events. `anchor_events` holds
/// the recorded events, each MAC'd under the `retention-integrity` secret over every
/// column but `seq`; rows are never updated, and deleted only with their subject's
/// erasure (once its tombstone exists, in the erasing transaction). `REPLACE` would
/// delete without firing the DELETE trigger, so the INSERT trigger refuses an existing
/// rowid.
const SCHEMA_V15: &str = r#"
CREATE TABLE named_keys_v15 (
    kind      TEXT    NOT NULL CHECK (kind IN ('epoch', 'escrow', 'secret', 'pseudonym', 'anchor')),
    name      TEXT    NOT NULL,
    number    INTEGER NOT NULL,
    master_id TEXT    NOT NULL,
    wrapped   BLOB    NOT NULL,
    due_us    INTEGER,
    PRIMARY KEY (kind, name, number)
);
INSERT INTO named_keys_v15 (kind, name, number, master_id, wrapped)
SELECT kind, name, number, master_id, wrapped FROM named_keys;
DROP TABLE named_keys;
ALTER TABLE named_keys_v15 RENAME TO named_keys;
CREATE INDEX named_keys_by_master ON named_keys (master_id);
CREATE INDEX named_keys_anchor_due ON named_keys (due_us) WHERE kind = 'anchor';
CREATE TABLE anchor_events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    subject     TEXT    NOT NULL,
    subject_ref TEXT    NOT NULL,
    anchor      INTEGER NOT NULL,
    at_us       INTEGER NOT NULL,
    recorded_us INTEGER NOT NULL,
    mac         BLOB    NOT NULL
);
CREATE INDEX anchor_events_by_subject ON anchor_events (subject, anchor);
CREATE TRIGGER anchor_events_insert_new BEFORE INSERT ON anchor_events
WHEN length(NEW.mac) IS NOT 32 OR EXISTS (SELECT 1 FROM anchor_events WHERE rowid = NEW.rowid)
BEGIN SELECT RAISE(ABORT, 'an anchor event is recorded once, with its MAC, and never replaced'); END;
CREATE TRIGGER anchor_events_kept_as_written BEFORE UPDATE ON anchor_events
BEGIN SELECT RAISE(ABORT, 'anchor events are append-only'); END;
CREATE TRIGGER anchor_events_kept BEFORE DELETE ON anchor_events
WHEN NOT EXISTS (SELECT 1 FROM shredded_subjects WHERE subject_hash = OLD.subject_ref)
BEGIN SELECT RAISE(ABORT, 'anchor events are kept until their subject is erased'); END;
"#;

/// The migration steps, oldest first: (version reached, SQL). Versions may have gaps
/// (no build ever wrote version 5).
pub(super) const STEPS: &[(i64, &str)] = &[
    (1, SCHEMA_V1),
    (2, SCHEMA_V2),
    (3, SCHEMA_V3),
    (4, SCHEMA_V4),
    (6, SCHEMA_V6),
    (7, SCHEMA_V7),
    (8, SCHEMA_V8),
    (9, SCHEMA_V9),
    (10, SCHEMA_V10),
    (11, SCHEMA_V11),
    (12, SCHEMA_V12),
    (14, SCHEMA_V14),
    (15, SCHEMA_V15),
];

/// Versions a file may have: 0 (new) and every version a step reaches.
const KNOWN_VERSIONS: &[i64] = &[0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 14, 15];

pub(super) fn migrate(conn: &Connection) -> Result<(), StoreError> {
    // The checks and every step run in one write transaction: two processes creating
    // the same file cannot both run a step, and a crash leaves the old version.
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let done = check_and_migrate(conn).and_then(|()| Ok(conn.execute_batch("COMMIT")?));
    if done.is_err() {
        // The error to report is the first one; a failed rollback changes nothing.
        let _ = conn.execute_batch("ROLLBACK");
    }
    done
}

fn check_and_migrate(conn: &Connection) -> Result<(), StoreError> {
    let (app, version) = check_file(conn)?;
    if app != APPLICATION_ID {
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
    }
    for &(to, sql) in STEPS {
        if version < to {
            conn.execute_batch(sql)?;
        }
    }
    if version < SCHEMA_VERSION {
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    }
    Ok(())
}

/// [`check_file`] in one read transaction: its reads see one state of the file, not a
/// schema version read before another process's migration committed and a count of
/// objects read after (which looked like another application's file).
pub(super) fn check_file_at_once(conn: &Connection) -> Result<(i32, i64), StoreError> {
    conn.execute_batch("BEGIN DEFERRED")?;
    let checked = check_file(conn);
    // Nothing was written: ending the read cannot lose anything, and its error, if
    // any, is reported only when the check itself passed.
    let ended = conn.execute_batch("COMMIT");
    let checked = checked?;
    ended?;
    Ok(checked)
}

/// Whether the file is a custodian store this build can open (or a new, empty file):
/// its `application_id` and schema version, or why not. Reads only.
pub(super) fn check_file(conn: &Connection) -> Result<(i32, i64), StoreError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let app: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let objects: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    let custodian_tables: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'consent_events'",
        [],
        |r| r.get(0),
    )?;
    let foreign = StoreError::ForeignDatabase {
        application_id: app,
        objects,
    };
    match app {
        APPLICATION_ID => {}
        // No id: a new, empty file, or a custodian store made before ids were set
        // (a known version, with custodian's first table). Anything else is another
        // application's.
        0 if objects == 0 && version == 0 => {}
        0 if version > 0 && custodian_tables == 1 => {}
        _ => return Err(foreign),
    }
    if version > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    if !KNOWN_VERSIONS.contains(&version) {
        return Err(StoreError::SchemaUnknown {
            found: version,
            known: KNOWN_VERSIONS,
        });
    }
    // A file that claims a version must have that version's tables: one marked but
    // emptied (or damaged) would otherwise open and fail later with "no such table",
    // or be half-migrated. Checked before anything is written.
    for table in tables_at(version) {
        let found: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1",
            [&table],
            |r| r.get(0),
        )?;
        if found != 1 {
            return Err(StoreError::Corrupt {
                what: "the file's schema version names tables that are missing; restore it \
                       from a backup, or open a new file",
            });
        }
    }
    Ok((app, version))
}

/// The tables a file at schema `version` has: those the steps up to it create, after
/// the steps' own drops and renames.
pub(super) fn tables_at(version: i64) -> Vec<String> {
    let mut tables: Vec<String> = Vec::new();
    for &(_, sql) in STEPS.iter().filter(|(to, _)| *to <= version) {
        for statement in sql.split(';') {
            let words: Vec<&str> = statement.split_whitespace().collect();
            match words.as_slice() {
                ["CREATE", "TABLE", name, ..] => tables.push((*name).to_owned()),
                ["DROP", "TABLE", name, ..] => tables.retain(|t| t != name),
                ["ALTER", "TABLE", from, "RENAME", "TO", to, ..] => {
                    for t in tables.iter_mut().filter(|t| t == from) {
                        *t = (*to).to_owned();
                    }
                }
                _ => {}
            }
        }
    }
    tables
}
