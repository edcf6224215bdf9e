"""Assembly only: Dagster Definitions, jobs, schedules, sensors and the CLI."""
