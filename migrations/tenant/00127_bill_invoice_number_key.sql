-- A vendor's invoice number is unique among its bills that are not void, compared as a
-- reader compares them.
--
-- A void bill (an invoice keyed twice, or against the wrong vendor) no longer keeps its
-- number from the bill entered instead. And look-alike spellings of one number are the same
-- number: besides case and outer spaces (as before), Unicode's NFKC form
-- (full-width ＮＷ is NW) and every Unicode dash read as '-' (U+2010–U+2015, U+2212, U+FE58,
-- U+FE63, U+FF0D). invoice_number_key is the one place that says so: the index below and
-- models.checkInvoiceNumber both compare through it.
--
-- Look-alikes entered before this was refused are kept: the later bill of each such pair is
-- marked invoice_number_lookalike, which the index leaves out so that it can be built. The
-- application still refuses such a bill when it is next saved, naming the earlier one.

-- Unicode normalisation (and the dashes' escapes) need a UTF8 database, which Postgres and
-- Outlay create by default; on a database of another encoding the key folds case and spaces
-- only, as before, rather than failing every bill.

-- +goose Up
-- +goose StatementBegin
DO $do$
BEGIN
    IF current_setting('server_encoding') = 'UTF8' THEN
        EXECUTE $f$CREATE FUNCTION invoice_number_key(number text) RETURNS text
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            AS $b$ SELECT lower(btrim(translate(normalize(number, NFKC),
                U&'\2010\2011\2012\2013\2014\2015\2212\FE58\FE63\FF0D', '----------'))) $b$$f$;
    ELSE
        EXECUTE $f$CREATE FUNCTION invoice_number_key(number text) RETURNS text
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            AS $b$ SELECT lower(btrim(number)) $b$$f$;
    END IF;
END
$do$;
-- +goose StatementEnd

ALTER TABLE bills ADD COLUMN invoice_number_lookalike boolean NOT NULL DEFAULT false;

UPDATE bills b SET invoice_number_lookalike = true
WHERE b.status <> 'void' AND EXISTS (
    SELECT 1 FROM bills e
    WHERE e.vendor_id = b.vendor_id AND e.status <> 'void' AND e.id < b.id
      AND invoice_number_key(e.vendor_invoice_number) = invoice_number_key(b.vendor_invoice_number));

DROP INDEX bills_vendor_invoice_key;
CREATE UNIQUE INDEX bills_vendor_invoice_key ON bills (vendor_id, invoice_number_key(vendor_invoice_number))
    WHERE status <> 'void' AND NOT invoice_number_lookalike;

-- +goose Down
DROP INDEX bills_vendor_invoice_key;
CREATE UNIQUE INDEX bills_vendor_invoice_key ON bills (vendor_id, lower(vendor_invoice_number));
ALTER TABLE bills DROP COLUMN invoice_number_lookalike;
DROP FUNCTION invoice_number_key(text);
