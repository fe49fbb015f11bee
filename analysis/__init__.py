"""Udsatte byområder i København: the analysis package behind the book."""

import sys


def forget_caches() -> None:
    """Empty the package's in-process caches (functools caches of every loaded module): a warm
    kernel that outlives a build forgets the results it read before the next build uses it."""
    for name, module in list(sys.modules.items()):
        if name == __name__ or name.startswith(__name__ + "."):
            for obj in list(vars(module).values()):
                if callable(getattr(obj, "cache_clear", None)):
                    obj.cache_clear()
