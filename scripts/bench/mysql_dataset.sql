-- Benchmark data set for dbsnap on MariaDB (10.5+): a small shop with customers,
-- products, orders, order items and a month-partitioned event log.
--
-- Usage: { echo 'SET @rows = 3000000;'; cat scripts/bench/mysql_dataset.sql; } |
--            mariadb -h 127.0.0.1 -u root EMPTY_DB
--
-- @rows is the total row count over all tables (default 3000000, at least 1000).
-- @shape says how they are shared out: 'shop' (the default) gives customers 10%,
-- products 1%, orders 30%, order_items 45%, events the rest; 'one_big_table'
-- gives customers 5%, products 1%, orders 7%, order_items 7%, events the other 80%.
-- Everything is generated on the server with INSERT ... SELECT from the Sequence
-- engine (seq_1_to_N, built into MariaDB), deterministically (arithmetic and MD5
-- on the row number, no RAND()), so two runs give the same data.
--
-- The values are chosen to exercise extended INSERTs and the loaders: text with
-- tabs, newlines, carriage returns, backslashes, a literal \N, single and double
-- quotes, a NUL byte, Ctrl-Z and non-ASCII letters; empty strings and NULLs;
-- DECIMAL; DATE, DATETIME(3) and TIMESTAMP(6); JSON with nested objects and
-- escaped strings; BLOB and VARBINARY with zero bytes; BINARY(16); ENUM and SET;
-- FLOAT and DOUBLE; TINYINT(1). InnoDB tables with INT/BIGINT primary keys
-- (AUTO_INCREMENT counters advanced), a RANGE COLUMNS-partitioned table with a
-- MAXVALUE partition, unique and secondary indexes and three foreign keys
-- (InnoDB cannot have foreign keys on a partitioned table, so events has none).
-- Rows are inserted in primary-key order; secondary indexes and foreign keys are
-- added after the rows (faster), so a schema snapshot has post-data work to do.

SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION';
SET NAMES utf8mb4;
SET time_zone = '+00:00';
SET SESSION unique_checks = 0;
SET SESSION foreign_key_checks = 0;

SET @total = GREATEST(COALESCE(@rows, 3000000), 1000);
SET @big = COALESCE(@shape, 'shop') = 'one_big_table';
SET @n_customers = FLOOR(@total * IF(@big, 0.05, 0.10));
SET @n_products = FLOOR(@total * 0.01);
SET @n_orders = FLOOR(@total * IF(@big, 0.07, 0.30));
SET @n_items = FLOOR(@total * IF(@big, 0.07, 0.45));
SET @n_events = @total - @n_customers - @n_products - @n_orders - @n_items;

CREATE TABLE customers (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    email VARCHAR(191) NOT NULL,
    full_name VARCHAR(100) NOT NULL,
    notes TEXT,
    profile JSON,
    avatar BLOB,
    balance DECIMAL(14, 2) NOT NULL DEFAULT 0,
    birth_date DATE,
    is_active TINYINT(1) NOT NULL DEFAULT 1,
    created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE products (
    id INT NOT NULL AUTO_INCREMENT,
    sku CHAR(12) NOT NULL,
    name VARCHAR(200) NOT NULL,
    description MEDIUMTEXT,
    price DECIMAL(10, 2) NOT NULL,
    weight_kg FLOAT,
    rating DOUBLE,
    colors SET('red', 'green', 'blue', 'black') NOT NULL DEFAULT '',
    attributes JSON NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    PRIMARY KEY (id),
    CONSTRAINT products_price_check CHECK (price >= 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE orders (
    id BIGINT NOT NULL AUTO_INCREMENT,
    customer_id BIGINT UNSIGNED NOT NULL,
    status ENUM('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded') NOT NULL DEFAULT 'pending',
    total DECIMAL(14, 2) NOT NULL,
    currency CHAR(3) NOT NULL DEFAULT 'EUR',
    placed_at DATETIME NOT NULL,
    updated_at TIMESTAMP NULL DEFAULT NULL,
    shipping_address VARCHAR(500),
    tracking VARBINARY(16),
    meta JSON,
    PRIMARY KEY (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE order_items (
    id BIGINT NOT NULL AUTO_INCREMENT,
    order_id BIGINT NOT NULL,
    product_id INT NOT NULL,
    quantity SMALLINT UNSIGNED NOT NULL,
    unit_price DECIMAL(10, 2) NOT NULL,
    discount DECIMAL(5, 4),
    gift_message VARCHAR(255),
    PRIMARY KEY (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE events (
    id BIGINT NOT NULL AUTO_INCREMENT,
    occurred_at DATETIME(3) NOT NULL,
    customer_id BIGINT UNSIGNED,
    kind ENUM('login', 'logout', 'view', 'search', 'cart.add', 'checkout') NOT NULL,
    duration_ms INT,
    session BINARY(16),
    client_ip VARCHAR(45),
    payload JSON,
    body TEXT,
    raw VARBINARY(512),
    PRIMARY KEY (id, occurred_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci
PARTITION BY RANGE COLUMNS (occurred_at) (
    PARTITION p2024_01 VALUES LESS THAN ('2024-02-01'),
    PARTITION p2024_02 VALUES LESS THAN ('2024-03-01'),
    PARTITION p2024_03 VALUES LESS THAN ('2024-04-01'),
    PARTITION p2024_04 VALUES LESS THAN ('2024-05-01'),
    PARTITION p2024_05 VALUES LESS THAN ('2024-06-01'),
    PARTITION p2024_06 VALUES LESS THAN ('2024-07-01'),
    PARTITION p2024_07 VALUES LESS THAN ('2024-08-01'),
    PARTITION p2024_08 VALUES LESS THAN ('2024-09-01'),
    PARTITION p2024_09 VALUES LESS THAN ('2024-10-01'),
    PARTITION p2024_10 VALUES LESS THAN ('2024-11-01'),
    PARTITION p2024_11 VALUES LESS THAN ('2024-12-01'),
    PARTITION p2024_12 VALUES LESS THAN ('2025-01-01'),
    PARTITION p_max VALUES LESS THAN (MAXVALUE)
);

-- The Sequence engine's seq_1_to_N serves `seq <= @n` as an index range.

START TRANSACTION;
INSERT INTO customers (id, email, full_name, notes, profile, avatar, balance, birth_date, is_active, created_at)
SELECT seq,
       CONCAT('user', seq, '@example', seq % 97, '.com'),
       CONCAT(ELT(1 + seq % 8, 'Zoë', 'José', 'Ana', 'Łukasz', 'Mia', 'Søren', '太郎', 'O''Brien'),
              ' ', SUBSTR(MD5(seq), 1, 3 + seq % 9)),
       CASE seq % 10
           WHEN 0 THEN NULL
           WHEN 1 THEN ''
           WHEN 2 THEN '\\N'
           WHEN 3 THEN CONCAT('nul\0byte and ctrl-z \Z end ', seq)
           ELSE CONCAT('Customer ', seq, '\tsince ', 2000 + seq % 24, '\nprefers: "fast"\\ship\r\n',
                       'path C:\\Users\\u', seq, '\\ 100% ok, it''s `fine` ', REPEAT(MD5(seq), 1 + seq % 3))
       END,
       JSON_OBJECT(
           'plan', ELT(1 + seq % 4, 'free', 'pro', 'team', 'enterprise'),
           'age', 18 + seq % 60,
           'score', (seq * 7919 % 1000000) / 1000,
           'prefs', JSON_OBJECT('newsletter', seq % 2 = 0, 'lang', ELT(1 + seq % 4, 'en', 'de', 'fr', 'ja')),
           'history', JSON_ARRAY(seq, seq * 2, MD5(seq)),
           'bio', 'line one\nline "two"\twith tab \\ and é'),
       CASE WHEN seq % 5 = 0 THEN NULL
            ELSE UNHEX(CONCAT(MD5(seq), '00ff00', MD5(seq + 1), '5c27220a0d1a')) END,
       (CAST((seq * 2654435761) % 2000000 AS SIGNED) - 500000) / 100,
       DATE '1950-01-01' + INTERVAL (seq % 20000) DAY,
       seq % 23 <> 0,
       TIMESTAMP '2020-01-01 00:00:00' + INTERVAL (seq % 126000000) SECOND + INTERVAL (seq * 7 % 1000000) MICROSECOND
FROM seq_1_to_1000000000
WHERE seq <= @n_customers;
COMMIT;

START TRANSACTION;
INSERT INTO products (id, sku, name, description, price, weight_kg, rating, colors, attributes, active)
SELECT seq,
       CONCAT('SKU-', LPAD(seq, 8, '0')),
       CONCAT(SUBSTR(MD5(CONCAT('p', seq)), 1, 10), ' – size ', 1 + seq % 5),
       CASE WHEN seq % 4 = 0 THEN NULL
            ELSE CONCAT(REPEAT('Great product.\tReally.\n', 1 + seq % 4), 'Backslash: \\ end, quote: '' "') END,
       1 + (seq * 40503 % 99900) / 100,
       (seq % 5000) / 7,
       1 + (seq * 31 % 4000) / 1000.0 + 1e-9 * (seq % 7),
       ELT(1 + seq % 5, '', 'red', 'green,blue', 'black', 'red,green,blue,black'),
       JSON_OBJECT('color', ELT(1 + seq % 3, 'red', 'green', 'blue'),
                   'weight_g', seq % 5000, 'fragile', seq % 11 = 0,
                   'labels', JSON_ARRAY('a', 'b "c"', 'd\ne', 'back\\slash')),
       seq % 17 <> 0
FROM seq_1_to_1000000000
WHERE seq <= @n_products;
COMMIT;

-- About 1 in 14 orders is placed in January 2025.
START TRANSACTION;
INSERT INTO orders (id, customer_id, status, total, currency, placed_at, updated_at, shipping_address, tracking, meta)
SELECT seq,
       1 + (seq * 7919) % @n_customers,
       1 + seq % 6,
       (seq * 2654435761 % 250000) / 100,
       ELT(1 + seq % 3, 'EUR', 'USD', 'GBP'),
       TIMESTAMP '2024-01-01 00:00:00' + INTERVAL ((seq * 2654435761) % 34128000) SECOND,
       CASE WHEN seq % 4 = 0 THEN NULL
            ELSE TIMESTAMP '2024-06-01 00:00:00' + INTERVAL (seq % 20000000) SECOND END,
       CASE WHEN seq % 9 = 0 THEN NULL
            ELSE CONCAT(seq % 9999, ' Main St\nApt ', seq % 99, '\n', SUBSTR(MD5(seq), 1, 7), ', "Country"') END,
       CASE WHEN seq % 2 = 0 THEN UNHEX(MD5(CONCAT('t', seq))) END,
       CASE WHEN seq % 3 = 0 THEN NULL
            ELSE JSON_OBJECT('source', ELT(1 + seq % 3, 'web', 'app', 'phone'),
                             'coupon', CASE WHEN seq % 7 = 0 THEN 'SAVE10' END, 'items_hint', seq % 5) END
FROM seq_1_to_1000000000
WHERE seq <= @n_orders;
COMMIT;

START TRANSACTION;
INSERT INTO order_items (id, order_id, product_id, quantity, unit_price, discount, gift_message)
SELECT seq,
       1 + (seq * 40503) % @n_orders,
       1 + (seq * 31) % @n_products,
       1 + seq % 5,
       1 + (seq * 7919 % 50000) / 100,
       CASE WHEN seq % 4 = 0 THEN (seq % 5000) / 10000 END,
       CASE WHEN seq % 50 = 0 THEN 'Happy birthday!\n\t-- \\o/ ''quoted''' END
FROM seq_1_to_1000000000
WHERE seq <= @n_items;
COMMIT;

-- Spread over 2024 and January 2025: about 1 in 14 events lands in p_max.
START TRANSACTION;
INSERT INTO events (id, occurred_at, customer_id, kind, duration_ms, session, client_ip, payload, body, raw)
SELECT seq,
       TIMESTAMP '2024-01-01 00:00:00.000' + INTERVAL ((seq * 2246822519) % 34128000) SECOND
           + INTERVAL (seq % 1000) * 1000 MICROSECOND,
       CASE WHEN seq % 8 = 0 THEN NULL ELSE 1 + (seq * 104729) % @n_customers END,
       1 + seq % 6,
       CASE WHEN seq % 6 = 1 THEN NULL ELSE seq % 3600000 END,
       UNHEX(MD5(CONCAT('session', seq DIV 10))),
       CONCAT('10.', seq % 256, '.', (seq DIV 256) % 256, '.', (seq DIV 65536) % 256),
       JSON_OBJECT('path', CONCAT('/products/', seq % 5000),
                   'query', CASE WHEN seq % 6 = 3 THEN 'shoes "red"\tsize 42 \\ cheap' END,
                   'ua', CONCAT('Mozilla/5.0 (X11; Linux x86_64) rv:', 100 + seq % 30),
                   'ms', seq % 900,
                   'tags', JSON_ARRAY(seq % 10, 'x', NULL)),
       CASE WHEN seq % 3 = 0 THEN NULL
            ELSE CONCAT('event ', seq, '\n\tdetail: ', MD5(seq), '\\', REPEAT('lorem ipsum ', 1 + seq % 8), '\n') END,
       CASE WHEN seq % 4 = 0 THEN NULL
            WHEN seq % 4 = 1 THEN UNHEX(SHA2(seq, 256))
            ELSE UNHEX(REPEAT(CONCAT(MD5(seq), '00'), 1 + seq % 6)) END
FROM seq_1_to_1000000000
WHERE seq <= @n_events;
COMMIT;

-- Indexes and foreign keys after the rows: what a restore does too. With
-- foreign_key_checks = 0 InnoDB adds the keys in place without a scan; the rows
-- satisfy them by construction.
ALTER TABLE customers ADD UNIQUE KEY customers_email_key (email),
    ADD KEY customers_created_at_idx (created_at);
ALTER TABLE products ADD UNIQUE KEY products_sku_key (sku);
ALTER TABLE orders ADD KEY orders_customer_id_idx (customer_id),
    ADD KEY orders_status_placed_idx (status, placed_at);
ALTER TABLE order_items ADD KEY order_items_order_id_idx (order_id),
    ADD KEY order_items_product_id_idx (product_id);
ALTER TABLE events ADD KEY events_customer_time_idx (customer_id, occurred_at);
ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey
    FOREIGN KEY (customer_id) REFERENCES customers (id);
ALTER TABLE order_items ADD CONSTRAINT order_items_order_id_fkey
    FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE;
ALTER TABLE order_items ADD CONSTRAINT order_items_product_id_fkey
    FOREIGN KEY (product_id) REFERENCES products (id);

SET SESSION foreign_key_checks = 1;
SET SESSION unique_checks = 1;

-- Statistics current, so the first timed read is not slower than the others.
ANALYZE TABLE customers, products, orders, order_items, events;
