"""`python -m assistant`: the same as the `assistant` command."""

from assistant.cli import main

main(prog_name="assistant")
