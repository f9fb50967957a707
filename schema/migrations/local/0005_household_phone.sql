-- A mobile number to reach the family (its ten digits), or empty: optional in the form.
ALTER TABLE household ADD COLUMN phone TEXT NOT NULL DEFAULT '';
