select
    export_id,
    registry,
    schema_version,
    cast(exported_at as timestamp) as exported_at,
    cast(data_cutoff as date) as data_cutoff
from {{ source('raw', 'export_manifest') }}
