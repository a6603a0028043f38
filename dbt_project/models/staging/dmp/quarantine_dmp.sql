{{ config(schema='quarantine') }}
{{ quarantine_select(source('dmp', 'segments'), spec_dmp__segments()) }}
