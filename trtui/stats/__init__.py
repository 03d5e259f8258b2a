"""Pure aggregators: samples in, immutable snapshots out (`snapshot`, `energy`, gathered in
`update.Update`), and their JSON and text forms (`energy_report`). No I/O, no threads, no UI."""
