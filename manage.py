#!/usr/bin/env python
"""Django's manage.py; the installed `ewtp` command is the same thing."""

from ewtp.cli import main

if __name__ == "__main__":
    main()
