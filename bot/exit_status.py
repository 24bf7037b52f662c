"""Exit statuses of the `switchboard` command line: ran, refused or failed, usage error."""

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
