-- Web-chat order proof (issue 10, item 3). The buyer's contact details on an order, as the
-- shop knows them: a visitor proves an order is theirs with one of them. And the order number
-- a visitor gave without proof: the conversation's order_id stays empty until it is proved.
ALTER TABLE orders ADD COLUMN buyer_email TEXT;
ALTER TABLE orders ADD COLUMN buyer_phone TEXT;
ALTER TABLE orders ADD COLUMN buyer_postcode TEXT;
ALTER TABLE conversations ADD COLUMN order_claim TEXT;
