"""Sub-commands of the CLI besides linting, one module each."""
