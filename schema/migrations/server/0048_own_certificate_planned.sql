-- Whether this server switched to the certificate as planned (made with `new-certificate`,
-- announced to every device, then put in place by `use-new-certificate`): 1 then, 0 for a
-- certificate its devices were not told of (its `tls` folder made anew after a theft or a loss),
-- which the laptops that pinned an older one refuse until the district vouches for it. Rows
-- from before are 0; a switch made as planned since migration 0047 is noted as such at the next
-- start, by the copy of the certificate before it that the switch left in the `tls` folder.
ALTER TABLE own_certificate ADD COLUMN planned INTEGER NOT NULL DEFAULT 0;
