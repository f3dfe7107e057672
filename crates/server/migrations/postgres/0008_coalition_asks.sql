-- Only a coalition decides what is its own (issue 11).
--
-- Anyone may ask a coalition to take on a need: `asked_of` names it and
-- `ask_state` says where the ask stands. The need is the coalition's
-- (`coalition_id`, which its gap signal, plans, map and accounts read)
-- only once it is `accepted`: at once when an active member declares it,
-- else when a steward accepts it. A declined ask keeps its reason.
ALTER TABLE needs ADD COLUMN asked_of TEXT REFERENCES agents (id);
ALTER TABLE needs ADD COLUMN ask_state TEXT CHECK (ask_state IN ('asked', 'accepted', 'declined'));
ALTER TABLE needs ADD COLUMN ask_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE needs ADD COLUMN ask_decided_by TEXT REFERENCES agents (id);
ALTER TABLE needs ADD COLUMN ask_decided_at TIMESTAMPTZ;
ALTER TABLE needs ADD CONSTRAINT needs_coalition_is_accepted
    CHECK (coalition_id IS NULL OR (coalition_id = asked_of AND ask_state = 'accepted'))
    NOT VALID;

-- Needs named for a coalition before this migration: the coalition's when
-- their declarer or receiver is an active member, otherwise waiting for a
-- steward's answer.
UPDATE needs SET asked_of = coalition_id, ask_state = 'accepted'
WHERE coalition_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM memberships m WHERE m.organization_id = needs.coalition_id
    AND m.member_id IN (needs.declared_by, needs.receiver_id) AND m.state = 'active');
UPDATE needs SET asked_of = coalition_id, ask_state = 'asked', coalition_id = NULL
WHERE coalition_id IS NOT NULL AND ask_state IS NULL;
ALTER TABLE needs VALIDATE CONSTRAINT needs_coalition_is_accepted;
CREATE INDEX needs_by_ask ON needs (asked_of, ask_state);

-- Whether a delivery counts in its coalition's accounts: set when the claim
-- is confirmed (the need is the coalition's and the maker an active member
-- then), never changed (economic events are append-only). Events recorded
-- before this migration were already carried into the ledgers.
ALTER TABLE economic_events ADD COLUMN in_accounts BOOLEAN NOT NULL DEFAULT TRUE;
