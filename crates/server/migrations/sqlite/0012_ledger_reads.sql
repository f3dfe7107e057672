-- Bounded ledger reads (issue 12): which entry corrects which is looked up
-- for one page of entries, one write or one void, through this index
-- instead of a scan of the coalition's whole ledger.
CREATE INDEX ledger_entries_by_corrects ON ledger_entries (coalition_id, corrects);
