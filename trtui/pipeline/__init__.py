"""The local pipeline: the session runner (`session`) drains a source through the aggregators and
publishes one immutable `Update` per statistics tick; the idle baseline measured before a run
(`idle_baseline`); and `UpdateFeed` (`update_feed`), the protocol the live screen drives, which the
local session and a remote feed both implement."""
