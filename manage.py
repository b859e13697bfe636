#!/usr/bin/env python
"""Django's manage.py; the installed ``thinkfamily`` command does the same."""

from thinkfamily.cli import main

if __name__ == "__main__":
    main()
