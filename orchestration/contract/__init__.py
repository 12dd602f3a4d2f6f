"""The registry export contract (schema version 1.0) as code: tables, columns, types, seeds."""
