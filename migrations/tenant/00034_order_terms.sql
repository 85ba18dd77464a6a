-- What an order tells the vendor besides its lines: the payment terms (copied from the vendor
-- when the order is made), where to send the invoice (the organisation's bill-to address, a
-- setting copied onto each order), when the goods are expected and free notes to the vendor.

-- +goose Up
ALTER TABLE org_settings ADD COLUMN bill_to_address text NOT NULL DEFAULT '' CHECK (length(bill_to_address) <= 500);

ALTER TABLE purchase_orders
    ADD COLUMN payment_terms   text NOT NULL DEFAULT '' CHECK (length(payment_terms) <= 200),
    ADD COLUMN bill_to_address text NOT NULL DEFAULT '' CHECK (length(bill_to_address) <= 500),
    ADD COLUMN expected_on     date,
    ADD COLUMN vendor_notes    text NOT NULL DEFAULT '' CHECK (length(vendor_notes) <= 2000);

-- +goose Down
ALTER TABLE purchase_orders
    DROP COLUMN vendor_notes,
    DROP COLUMN expected_on,
    DROP COLUMN bill_to_address,
    DROP COLUMN payment_terms;

ALTER TABLE org_settings DROP COLUMN bill_to_address;
