"""The breach register in the cache, by job: tables (DDL), the worker process
that reads and checks the files (worker) and builds the rows of the register's
tables (index_rows), the import and its swap (swap), and the register's rows
and digest (digest) and its rebuild from a delta (delta). The exchange format
and its checks are console.core.register_format, shared with the hub."""
