"""Progress of long work (imports, relinking) as bars on the terminal."""

from __future__ import annotations

from tqdm import tqdm


class TerminalProgress:
    """Shows each stage of long work as a progress bar on the terminal (stderr)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: tqdm | None = None

    def stage(self, name: str, total: int | None = None) -> None:
        self.close()
        if self.enabled and total is None:  # a stage without rows to count: show the time
            self.bar = tqdm(desc=name, bar_format="{desc}: {elapsed}", leave=True)
        elif self.enabled:
            self.bar = tqdm(total=total, desc=name, unit=" rows", unit_scale=True, leave=True)

    def advance(self, count: int) -> None:
        if self.bar is not None:
            self.bar.update(count)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
