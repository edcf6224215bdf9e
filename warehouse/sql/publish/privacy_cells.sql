-- What the digit rules of privacy_findings.sql read of one Parquet file, from the leaves that
-- privacy_gate_cells.sql kept for holding enough digits (numbers and dates as text, every list
-- element): TEMP tables, whose real sizes let DuckDB build the lookups of privacy_findings.sql on
-- the small side.

-- The tokens the rules look at, ASCII and upper-case: every maximal digit run with a trailing X
-- kept (a token; full-width digits count), of least(11, $known_min_length) characters or more. The
-- rules read tokens of 11, 13, 15 and 18 characters and raw-layer numbers of $known_min_length or
-- more, so the shorter tokens are left out: the regex finds maximal runs of at least one digit
-- fewer than that. A maximal run's first digit starts the match, which takes the whole run, so
-- every token kept is the same as the one the run gives.
CREATE OR REPLACE TEMP TABLE privacy_tokens AS
SELECT
    row_no,
    column_name,
    CASE
        -- an ASCII token is digits and X or x: upper-case is its x made X
        WHEN strlen(raw_token) = length(raw_token) THEN replace(raw_token, 'x', 'X')
        ELSE upper(translate(raw_token, '０１２３４５６７８９Ｘｘ', '0123456789XX'))
    END AS token
FROM (
    SELECT
        row_no,
        column_name,
        unnest(regexp_extract_all(
            value, '[0-9０-９]{' || (least(11, $known_min_length) - 1) || ',}[XxＸｘ]?'
        )) AS raw_token
    FROM gate_cells
    WHERE digits
);

-- Leaves with two or more digit runs, where separated phone and identity numbers can be: whether the
-- leaf, with full-width digits, X, hyphens and brackets made ASCII when a digit run holds a
-- full-width digit or X, matches the policy's patterns of mobile numbers written in groups and of
-- landlines; the identity numbers written in groups (`420106 19850312 1233`: the policy's
-- id_number_separated_pattern with no ASCII letter or digit on either side, and its
-- id_number_separated_next_to_letter_pattern with no digit on either side, as masking looks for
-- them), each with its digits taken together (`id_numbers`, checked as identity numbers by
-- privacy_findings.sql; one followed by an X is not taken, as privacy_tokens takes a digit run and
-- the X after it for one longer token); and each number written with separators (blanks,
-- hyphens, dots, brackets: `138 0013 8000`) taken together. Digits that Chinese text separates (`没收14600元，罚款104300元`) are different numbers
-- and are never joined. Only numbers of $known_min_length characters or more are kept (a group of
-- separators and digits shorter than that leaves a shorter number): no shorter one is compared.
-- After an identity number the boundary is zero-width (RE2's \b) where it can be, as in masking: a
-- consumed separator would be missing before the number right after it (`4201… 1231 4201… 4569`).
CREATE OR REPLACE TEMP TABLE privacy_grouped AS
SELECT
    row_no,
    column_name,
    CASE WHEN any_match THEN regexp_matches(ascii_value, $mobile_separated_pattern) ELSE false END AS mobile,
    CASE WHEN any_match THEN regexp_matches(ascii_value, $landline_pattern) ELSE false END AS landline,
    CASE
        WHEN any_match THEN list_transform(
            regexp_extract_all(ascii_value, '[0-9][0-9 \t.()-]{' || greatest($known_min_length - 2, 0) || ',}[0-9Xx]'),
            lambda n: upper(regexp_replace(n, '[^0-9Xx]', '', 'g'))
        )
        ELSE []
    END AS numbers,
    CASE
        WHEN any_match THEN list_transform(
            list_concat(
                regexp_extract_all(
                    ascii_value, '(^|[^0-9A-Za-z])(' || $id_number_separated_pattern || ')(?:\b|[^0-9A-Za-z]|$)', 2
                ),
                regexp_extract_all(
                    ascii_value, '(^|[^0-9])(' || $id_number_separated_next_to_letter_pattern || ')(?:\b|[^0-9Xx]|$)', 2
                )
            ),
            lambda n: upper(regexp_replace(n, '[^0-9Xx]', '', 'g'))
        )
        ELSE []
    END AS id_numbers
FROM (
    SELECT
        row_no,
        column_name,
        ascii_value,
        -- one pass over the leaf for the four: most leaves match none of them
        regexp_matches(
            ascii_value,
            '(?:' || $mobile_separated_pattern || ')|(?:' || $landline_pattern || ')|(?:'
            || $id_number_separated_pattern || ')|(?:' || $id_number_separated_next_to_letter_pattern
            || ')|[0-9][0-9 \t.()-]{'
            || greatest($known_min_length - 2, 0) || ',}[0-9Xx]'
        ) AS any_match
    FROM (
        SELECT
            row_no,
            column_name,
            replace(
                CASE
                    WHEN regexp_matches(value, '[０-９]|[0-9０-９][Ｘｘ]')
                        THEN translate(value, '０１２３４５６７８９Ｘｘ－（）', '0123456789Xx-()')
                    ELSE value
                END,
                '　', ' '
            ) AS ascii_value
        FROM gate_cells
        WHERE digits AND regexp_matches(value, '[0-9０-９][^0-9０-９]+[0-9０-９]')
    )
);
