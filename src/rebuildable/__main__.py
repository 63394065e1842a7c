"""``python -m rebuildable``: the same command as the ``rebuildable`` script."""

from rebuildable.cli import main

if __name__ == "__main__":
    main()
