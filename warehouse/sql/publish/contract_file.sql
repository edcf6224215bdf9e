-- Row count and key-value metadata of the Parquet file $path.
SELECT
    (SELECT num_rows FROM parquet_file_metadata($path)) AS rows,
    (SELECT map_from_entries(list((decode(key), decode(value)))) FROM parquet_kv_metadata($path)) AS kv;
