-- The variable privacy_name_bytes.sql sets, for Python.
SELECT getvariable('gate_name_bytes').shortest AS shortest, getvariable('gate_name_bytes').longest AS longest;
