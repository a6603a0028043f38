{{ quarantine_incremental_config() }}
{{ quarantine_select(source('survey', 'nps_responses'), spec_survey__nps_responses()) }}
