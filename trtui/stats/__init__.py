"""Pure aggregators: samples in, immutable snapshots out. No I/O, no threads, no UI."""
