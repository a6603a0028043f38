{{ config(schema='quarantine') }}
{{ quarantine_select(source('pos', 'receipts'), spec_pos__receipts(), stores=ref('stores')) }}
union all
{{ quarantine_select(source('pos', 'receipt_lines'), spec_pos__receipt_lines()) }}
union all
{{ quarantine_select(source('pos', 'footfall'), spec_pos__footfall(), stores=ref('stores')) }}
union all
{{ quarantine_select(source('pos', 'assistant_interactions'), spec_pos__assistant_interactions(),
                     stores=ref('stores')) }}
