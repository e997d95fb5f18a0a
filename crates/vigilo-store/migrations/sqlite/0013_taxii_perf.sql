-- TAXII read path: the hub caches the sharing policy (sharing groups and
-- their members, partners' status) and reloads it when this counter moves.
-- Every store function that changes what the policy reads advances it in
-- the same transaction, so another process (a second hub on the same
-- database, the CLI) sees the change within the cache's check interval.
INSERT INTO meta (key, value) VALUES ('sharing_generation', '0');
