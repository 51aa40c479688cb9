-- How far the IMAP fetcher got in each mailbox it reads (issue 10, item 11): the mailbox's
-- UIDVALIDITY and the highest UID whose mail is durably stored. It is advanced only after
-- the ingest of that mail committed, so a crash fetches again rather than losing a mail;
-- a new UIDVALIDITY (the mailbox was recreated) starts it over.
CREATE TABLE mail_cursors (
    source TEXT PRIMARY KEY,
    uid_validity INTEGER NOT NULL,
    last_uid INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
