"""`python -m knowledge ...`: the knowledge-base commands on their own."""

from knowledge.cli import main

main()
